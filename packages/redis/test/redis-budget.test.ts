import { BudgetExceededError } from '@haiku-army/core';
import { connectRedis, RedisBudget, RedisRateLimiter, type ScriptedRedis } from '@haiku-army/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';

const request = (taskId: string, amount: number, minimum = amount) => ({
  runId: 'run-1',
  taskId,
  amount,
  minimum,
});

describe.skipIf(!redisServerAvailable())('the budget and rate limits in Redis', () => {
  let redis: TestRedis;
  const connections: ScriptedRedis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.quit()));
    await redis?.stop();
  });
  const connection = async () => {
    const opened = await connectRedis({ url: redis.url });
    connections.push(opened);
    return opened;
  };

  it('holds a run cap across two processes: a reservation waits for the other’s call in flight, then fits', async () => {
    await (await connection()).flushall();
    const coordinator = new RedisBudget({
      redis: await connection(),
      url: redis.url,
      limits: { run: 100 },
    });
    await coordinator.registerRun('run-1');
    // A worker process knows no caps of its own: it reads the run's from Redis.
    const worker = new RedisBudget({ redis: await connection(), url: redis.url });
    const first = await coordinator.acquire(request('a', 60));
    let granted = false;
    const second = worker.acquire(request('b', 60)).then((reservation) => {
      granted = true;
      return reservation;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(granted).toBe(false);
    first.settle(30);
    await coordinator.flush();
    const reservation = await second;
    expect(reservation.amount).toBe(60);
    // 30 spent and 60 held: 80 can never fit (ceiling 70), at once refused; 40 lowered to its minimum waits.
    await expect(worker.acquire(request('c', 80))).rejects.toBeInstanceOf(BudgetExceededError);
    const lowered = worker.acquire(request('c', 80, 10));
    reservation.release();
    await worker.flush();
    expect((await lowered).amount).toBe(70);
    expect(await coordinator.runSpend('run-1')).toEqual({ spent: 30, reserved: 70 });
  });

  it('reports a registered run’s spend across processes in status(), read again from Redis as it grows', async () => {
    await (await connection()).flushall();
    const coordinator = new RedisBudget({
      redis: await connection(),
      url: redis.url,
      limits: { run: 1000, task: 500 },
      statusRefreshMs: 10,
    });
    expect(coordinator.status('run', 'run-1')).toBeUndefined();
    await coordinator.registerRun('run-1');
    expect(coordinator.status('run', 'run-1')).toEqual({
      limit: 1000,
      spent: 0,
      reserved: 0,
      remaining: 1000,
    });
    // Another process spends: the coordinator's view catches up.
    const worker = new RedisBudget({ redis: await connection(), url: redis.url });
    const held = await worker.acquire(request('a', 300));
    (await worker.acquire(request('b', 250))).settle(200);
    await worker.flush();
    await vi.waitFor(() =>
      expect(coordinator.status('run', 'run-1')).toEqual({
        limit: 1000,
        spent: 200,
        reserved: 300,
        remaining: 500,
      }),
    );
    held.settle(100);
    await worker.flush();
    await vi.waitFor(() => expect(coordinator.status('run', 'run-1')?.remaining).toBe(700));
    // Task scopes, runs it did not register, and a process without caps stay unknown.
    expect(coordinator.status('task', 'run-1/a')).toBeUndefined();
    expect(coordinator.status('run', 'run-2')).toBeUndefined();
    expect(worker.status('run', 'run-1')).toBeUndefined();
    coordinator.endRun('run-1');
    expect(coordinator.status('run', 'run-1')).toBeUndefined();
  });

  it('counts the reservation of a process that died (its lease expired) as spent at its worst case', async () => {
    await (await connection()).flushall();
    const budget = new RedisBudget({
      redis: await connection(),
      url: redis.url,
      limits: { run: 100, task: 50 },
      leaseMs: 20,
    });
    await budget.registerRun('run-1');
    await budget.acquire(request('a', 40));
    await new Promise((resolve) => setTimeout(resolve, 40));
    // The task cap is per task: 'a' has spent its 40 (expired), so 20 more for it cannot fit.
    await expect(budget.acquire(request('a', 20))).rejects.toMatchObject({ scope: 'task' });
    const other = await budget.acquire(request('b', 50));
    expect(await budget.runSpend('run-1')).toEqual({ spent: 40, reserved: 50 });
    other.settle(10);
    await budget.flush();
    expect(await budget.runSpend('run-1')).toEqual({ spent: 50, reserved: 0 });
  });

  it('learns a model’s limits from one process’s headers and paces every process to them', async () => {
    await (await connection()).flushall();
    const one = new RedisRateLimiter({ redis: await connection(), url: redis.url });
    const two = new RedisRateLimiter({ redis: await connection(), url: redis.url });
    const ask = { model: 'claude-haiku-5-5', inputTokens: 10, outputTokens: 10 };
    // Unknown limits: one probe at a time, across processes.
    const probe = await one.acquire(ask);
    let second = false;
    const waiting = two.acquire(ask).then((ticket) => {
      second = true;
      return ticket;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(second).toBe(false);
    one.observe(
      'claude-haiku-5-5',
      new Headers({
        'anthropic-ratelimit-requests-limit': '60',
        'anthropic-ratelimit-requests-remaining': '2',
      }),
    );
    probe.settle({ inputTokens: 10, outputTokens: 5 });
    await one.flush();
    (await waiting).settle({ inputTokens: 10, outputTokens: 5 });
    // One request left of the two the server reported; the next waits for the refill (1 per second).
    await two.acquire(ask);
    let third = false;
    const paced = one.acquire(ask).then(() => {
      third = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(third).toBe(false);
    await paced;
    expect(third).toBe(true);
  });
});
