import { getEventListeners } from 'node:events';
import { RateLimiter, type TaskEndEvent, type TaskEvent } from '@haiku-army/core';
import { type Responder, reply, toolExchanges } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineTool, WorkerPool, type WorkerResult } from '../src/index.js';
import { briefOf, delay, HAIKU, lookup, useHarness } from './support/harness.js';

const { start } = useHarness();

describe('WorkerPool at scale (real HTTP)', () => {
  it('200 tasks at concurrency 16: never more than 16 in flight, every result, exact cost attribution', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const worker: Responder = async (request) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await delay(2);
        const brief = briefOf(request);
        const wanted = Number(/lookups=(\d)/.exec(brief)![1]);
        const key = /key=(\S+)/.exec(brief)![1]!;
        const done = toolExchanges(request).length;
        if (done < wanted) return reply.toolUse('lookup', { key: `${key}-${done}` });
        return reply.toolUse('submit_result', {
          status: 'done',
          summary: `${key}: ${done} lookups`,
        });
      } finally {
        inFlight -= 1;
      }
    };
    const rateLimiter = new RateLimiter();
    const harness = await start({ models: { [HAIKU]: worker } }, { rateLimiter });
    const { fake, gateway, ledger, events } = harness;
    const counts = { queued: 0, start: 0, end: 0 };
    const pool = new WorkerPool({ gateway, concurrency: 16, tools: [lookup], runId: 'run-scale' });
    let maxRunning = 0;
    events.on('task:queued', () => {
      counts.queued += 1;
    });
    events.on('task:start', () => {
      counts.start += 1;
      maxRunning = Math.max(maxRunning, pool.stats.running);
    });
    const ends: TaskEndEvent[] = [];
    events.on('task:end', (event) => {
      counts.end += 1;
      ends.push(event);
    });
    const tasks = Array.from({ length: 200 }, (_, index) => ({
      id: `task-${index}`,
      brief: `Look up key=k${index} with lookups=${1 + (index % 2)}.`,
    }));
    const results = await pool.submitAll(tasks);

    expect(maxInFlight).toBeLessThanOrEqual(16);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(16);
    expect(results.map((result) => result.taskId)).toEqual(tasks.map((task) => task.id));
    for (const [index, result] of results.entries()) {
      const lookups = 1 + (index % 2);
      expect(result).toMatchObject({
        status: 'done',
        calls: lookups + 1,
        toolCalls: lookups,
        summary: `k${index}: ${lookups} lookups`,
      });
      expect(result.cost.total).toBeGreaterThan(0);
      expect(result.cost.total).toBe(ledger.spent({ taskId: result.taskId }));
    }
    expect(fake.billing.entries).toHaveLength(500);
    expect(ledger.entries()).toHaveLength(500);
    const total = fake.billing.total();
    expect(ledger.spent()).toBe(total);
    expect(results.reduce((sum, result) => sum + result.cost.total, 0)).toBe(total);
    expect(pool.stats).toEqual({
      queued: 0,
      running: 0,
      done: 200,
      partial: 0,
      failed: 0,
      cancelled: 0,
      cost: total,
    });
    expect(counts).toEqual({ queued: 200, start: 200, end: 200 });
    expect(ends.reduce((sum, event) => sum + event.cost, 0)).toBe(total);
    expect(rateLimiter.stats(HAIKU).learned).toBe(true);
  });
});

/** A tool that holds until released or cancelled, and a responder that uses it for "hold" briefs. */
function holdKit() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const holding: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const cancelledTools: string[] = [];
  const hold = defineTool({
    name: 'hold',
    description: 'Holds until released.',
    input: z.object({}),
    run: (_input, context) =>
      new Promise<string>((resolve, reject) => {
        holding.push(context.taskId);
        for (const waiter of waiters) if (holding.length >= waiter.count) waiter.resolve();
        released.then(() => resolve('released'));
        context.signal.addEventListener('abort', () => {
          cancelledTools.push(context.taskId);
          reject(new Error('cancelled'));
        });
      }),
  });
  /** Resolves once `count` hold tools are running. */
  const holdingCount = (count: number) =>
    new Promise<void>((resolve) => {
      if (holding.length >= count) resolve();
      else waiters.push({ count, resolve });
    });
  const responder: Responder = (request) =>
    briefOf(request).includes('hold') && toolExchanges(request).length === 0
      ? reply.toolUse('hold', {})
      : reply.text('ok');
  return { hold, responder, release, cancelledTools, holdingCount };
}

describe('WorkerPool scheduling', () => {
  it('starts higher priorities first', async () => {
    const kit = holdKit();
    const harness = await start({ models: { [HAIKU]: kit.responder } });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 1, tools: [kit.hold] });
    const starts: string[] = [];
    harness.events.on('task:start', (event: TaskEvent) => starts.push(event.taskId));
    const all = [pool.submit({ id: 'blocker', brief: 'hold' })];
    all.push(pool.submit({ id: 'low', brief: 'x' }));
    all.push(pool.submit({ id: 'high', brief: 'x', priority: 5 }));
    all.push(pool.submit({ id: 'middle', brief: 'x' }, { priority: 2 }));
    await kit.holdingCount(1);
    expect(pool.stats).toMatchObject({ queued: 3, running: 1 });
    kit.release();
    await Promise.all(all);
    expect(starts).toEqual(['blocker', 'high', 'middle', 'low']);
  });

  it('cancels queued and running tasks, one or all; onIdle waits for every result', async () => {
    const kit = holdKit();
    const harness = await start({ models: { [HAIKU]: kit.responder } });
    const { fake, events } = harness;
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 1, tools: [kit.hold] });
    const ends: TaskEndEvent[] = [];
    events.on('task:end', (event) => ends.push(event));
    const running = pool.submit({ id: 'a', brief: 'hold' });
    const queuedB = pool.submit({ id: 'b', brief: 'x' });
    const queuedC = pool.submit({ id: 'c', brief: 'x' });
    await kit.holdingCount(1);
    expect(pool.cancel('b', { reason: 'not needed' })).toBe(true);
    const b = await queuedB;
    expect(b).toMatchObject({
      taskId: 'b',
      status: 'failed',
      code: 'ABORTED',
      reason: 'Cancelled: not needed.',
      calls: 0,
      turns: 0,
    });
    expect(pool.stats).toMatchObject({ queued: 1, running: 1, failed: 1, cancelled: 1 });
    expect(pool.cancel('nope')).toBe(false);
    expect(pool.cancelAll()).toBe(2);
    await pool.onIdle();
    const [a, c] = (await Promise.all([running, queuedC])) as [WorkerResult, WorkerResult];
    expect(a).toMatchObject({ status: 'failed', code: 'ABORTED', calls: 1, toolCalls: 1 });
    expect(a.cost.total).toBe(fake.billing.total());
    expect(c).toMatchObject({ status: 'failed', code: 'ABORTED', calls: 0 });
    expect(kit.cancelledTools).toEqual(['a']);
    expect(fake.transcript.messages(HAIKU)).toHaveLength(1);
    expect(pool.stats).toEqual({
      queued: 0,
      running: 0,
      done: 0,
      partial: 0,
      failed: 3,
      cancelled: 3,
      cost: fake.billing.total(),
    });
    expect(ends.map((event) => [event.taskId, event.status])).toEqual([
      ['b', 'failed'],
      ['c', 'failed'],
      ['a', 'failed'],
    ]);
  });

  it("the pool's signal and a submission's signal cancel work", async () => {
    const kit = holdKit();
    const harness = await start({ models: { [HAIKU]: kit.responder } });
    const controller = new AbortController();
    const pool = new WorkerPool({
      gateway: harness.gateway,
      concurrency: 2,
      tools: [kit.hold],
      signal: controller.signal,
    });
    const own = new AbortController();
    const results = Promise.all([
      pool.submit({ id: 'a', brief: 'hold' }),
      pool.submit({ id: 'b', brief: 'hold' }, { signal: own.signal }),
      pool.submit({ id: 'c', brief: 'x' }),
    ]);
    await kit.holdingCount(2);
    own.abort('changed my mind');
    controller.abort('shutting down');
    const [a, b, c] = await results;
    expect(b).toMatchObject({ code: 'ABORTED', reason: 'Cancelled: changed my mind.' });
    expect(a).toMatchObject({ code: 'ABORTED', reason: 'Cancelled: shutting down.' });
    expect(c).toMatchObject({ code: 'ABORTED', calls: 0 });
  });

  it('submitAll queues nothing when one task of the batch is bad or ids repeat', async () => {
    const harness = await start({ models: { [HAIKU]: () => 'ok' } });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 2 });
    await expect(
      pool.submitAll([
        { id: 'a', brief: 'x' },
        { id: 'b', brief: '' },
      ]),
    ).rejects.toThrow('Expected `task.brief.objective` to be a non-empty string');
    await expect(
      pool.submitAll([
        { id: 'a', brief: 'x' },
        { id: 'a', brief: 'y' },
      ]),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(
        /^Task id "a" of run "[^"]+" appears more than once in this submission\. Give each task of a run its own id\.$/,
      ),
    });
    await pool.onIdle();
    expect(pool.stats).toMatchObject({ queued: 0, running: 0, done: 0 });
    expect(harness.fake.transcript.messages()).toHaveLength(0);
  });

  it('submitAll with one signal adds one abort listener, not one per task', async () => {
    const kit = holdKit();
    const harness = await start({ models: { [HAIKU]: kit.responder } });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 1, tools: [kit.hold] });
    const controller = new AbortController();
    const all = pool.submitAll(
      Array.from({ length: 20 }, (_, index) => ({ id: `t${index}`, brief: 'hold' })),
      { signal: controller.signal },
    );
    await kit.holdingCount(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort('enough');
    const results = await all;
    expect(results.every((result) => result.code === 'ABORTED')).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('once the pool signal is aborted, new submissions end ABORTED without a call', async () => {
    const harness = await start({ models: { [HAIKU]: () => 'ok' } });
    const controller = new AbortController();
    const pool = new WorkerPool({ gateway: harness.gateway, signal: controller.signal });
    controller.abort('closed');
    const late = await pool.submit({ id: 'late', brief: 'x' });
    expect(late).toMatchObject({ status: 'failed', code: 'ABORTED', calls: 0 });
    const early = new WorkerPool({ gateway: harness.gateway, signal: AbortSignal.abort('gone') });
    expect(await early.submit({ id: 'x', brief: 'x' })).toMatchObject({ code: 'ABORTED' });
    expect(harness.fake.transcript.messages()).toHaveLength(0);
  });

  it('refuses a second pending task with the same id, and bad options', async () => {
    const harness = await start({ models: { [HAIKU]: () => 'ok' } });
    const { gateway } = harness;
    const pool = new WorkerPool({ gateway, concurrency: 1 });
    const first = pool.submit({ id: 'same', brief: 'x' });
    await expect(pool.submit({ id: 'same', brief: 'x' })).rejects.toMatchObject({
      name: 'ArmyError',
      code: 'INVALID_OPTIONS',
      message:
        `Task id "same" of run "${pool.runId}" is already queued or running in this pool. Give ` +
        'each pending task of a run its own id, or wait for (or cancel) the first one.',
    });
    await expect(
      pool.submit({ id: 'other', brief: 'x' }, { priority: Number.NaN }),
    ).rejects.toThrow('Expected `options.priority` to be a finite number, got NaN.');
    await first;
    await expect(pool.submit({ id: 'same', brief: 'x' })).resolves.toMatchObject({
      status: 'done',
    });
    for (const [options, message] of [
      [{ concurrency: 0 }, 'Expected `concurrency` to be an integer >= 1, got 0.'],
      [{ warmCache: 'yes' }, 'Expected `warmCache` to be a boolean, got "yes".'],
      [{ taskEvents: 0 }, 'Expected `taskEvents` to be a boolean, got 0.'],
      [{ cacheWarmers: {} }, 'Expected `cacheWarmers` to be a Map'],
    ] as const) {
      expect(() => new WorkerPool({ gateway, ...(options as object) })).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTIONS',
          message: expect.stringContaining(message),
        }),
      );
    }
  });
});

describe('WorkerPool.close', () => {
  it('stops listening to a long-lived pool signal', async () => {
    const { gateway } = await start({});
    const controller = new AbortController();
    const pool = new WorkerPool({ gateway, signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    pool.close();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
