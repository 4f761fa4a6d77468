import { createArmy } from '@haiku-army/orchestrator';
import { DEFAULT_KEY_PREFIX, DEFAULT_QUEUE_NAME, redisBackend } from '@haiku-army/redis';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { hasToolResult } from './support/requests.js';
import { startWorkerProcesses } from './support/worker-processes.js';

const SUBTASKS = 300;

describe.skipIf(!redisServerAvailable())(
  'a worker killed between the turns of its subtasks',
  () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('has its interrupted subtasks re-run elsewhere, their first turns kept in the ledger', async () => {
      let hold: Promise<void> | undefined;
      let releaseHold = () => {};
      // Two turns per subtask: a call of a tool the worker lacks (an error result), then the answer.
      const fake = await startFakeAnthropic({
        latency: 0,
        defaultLimits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
        defaultResponder: async (request) => {
          // Only second turns are held: every subtask in flight at the kill has its first turn
          // billed (holding first turns too left none so in a loaded CI run).
          if (hold && hasToolResult(request)) {
            await hold;
            return reply.error({ status: 529 });
          }
          return hasToolResult(request) ? 'Done.' : reply.toolUse('lookup', { query: 'x' });
        },
      });
      const workers = await startWorkerProcesses(2, {
        redisUrl: redis.url,
        baseURL: fake.url,
        concurrency: 16,
      });
      const backend = redisBackend({ url: redis.url });
      try {
        const army = createArmy({
          backend,
          baseURL: fake.url,
          apiKey: 'test-key',
          journal: false,
          concurrency: 64,
        });
        let ended = 0;
        let killed: Promise<void> | undefined;
        army.events.on('task:end', () => {
          ended += 1;
          if (ended !== 100 || killed) return;
          killed = (async () => {
            hold = new Promise((resolve) => {
              releaseHold = resolve;
            });
            await new Promise((resolve) => setTimeout(resolve, 750));
            workers[0]!.child.kill('SIGKILL');
            await workers[0]!.exited;
            hold = undefined;
            releaseHold();
          })();
        });
        const items = Array.from({ length: SUBTASKS }, (_, index) => `item ${index + 1}`);
        const result = await army.map(items, (item) => `Look up ${item}.`);
        await killed;
        expect(result.status).toBe('done');
        expect(result.subtasks.every((subtask) => subtask.status === 'done')).toBe(true);

        const ledger = army.ledger.entries({ runId: result.runId });
        const billed = new Map(fake.billing.entries.map((entry) => [entry.requestId, entry]));
        expect(ledger).toHaveLength(billed.size);
        for (const entry of ledger)
          expect(entry.cost.total).toBe(billed.get(entry.requestId!)?.cost.total);
        const perTask = new Map<string, number>();
        for (const entry of ledger) perTask.set(entry.taskId, (perTask.get(entry.taskId) ?? 0) + 1);

        const queue = new Queue(DEFAULT_QUEUE_NAME, {
          connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) },
          prefix: DEFAULT_KEY_PREFIX,
        });
        try {
          const jobs = await queue.getJobs(['completed'], 0, -1);
          const recovered = new Set(
            jobs.filter((job) => job.stalledCounter > 0).map((job) => job.data.task.id as string),
          );
          expect(recovered.size).toBeGreaterThan(0);
          // Two turns, once; a recovered subtask also keeps what its killed run billed (at most its first turn).
          for (const [taskId, calls] of perTask) if (!recovered.has(taskId)) expect(calls).toBe(2);
          const interruptedAfterATurn = [...recovered].filter(
            (taskId) => perTask.get(taskId) === 3,
          );
          expect(interruptedAfterATurn.length).toBeGreaterThan(0);
          for (const taskId of recovered) expect([2, 3]).toContain(perTask.get(taskId));
        } finally {
          await queue.close();
        }
      } finally {
        releaseHold();
        await Promise.all(workers.map((worker) => worker.stop()));
        await backend.close();
        await fake.close();
      }
    }, 60_000);
  },
);
