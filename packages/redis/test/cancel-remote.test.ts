import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArmy } from '@haiku-army/orchestrator';
import {
  DEFAULT_KEY_PREFIX,
  DEFAULT_QUEUE_NAME,
  redisBackend,
  startWorker,
} from '@haiku-army/redis';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { hasToolResult } from './support/requests.js';

const SUBTASKS = 6;

describe.skipIf(!redisServerAvailable())('cancelling a run on the Redis backend', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.each([
    { concurrency: SUBTASKS, case: 'every attempt running' },
    { concurrency: 2, case: 'some attempts still queued' },
  ])(
    'aborts the attempts running on worker processes, drops the queued ones; billed turns stay in the ledger and a resume runs them again ($case)',
    async ({ concurrency }) => {
      // Two turns per subtask: a call of a tool the worker lacks, then the
      // answer. While `hold` is set, every second turn waits (no byte sent, so
      // nothing is billed) until the test lets it go.
      let hold: Promise<void> | undefined;
      let release = () => {};
      let held = 0;
      const fake = await startFakeAnthropic({
        latency: 0,
        defaultLimits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
        defaultResponder: async (request) => {
          if (!hasToolResult(request)) return reply.toolUse('lookup', { query: 'x' });
          if (hold) {
            held += 1;
            await hold;
            return reply.error({ status: 529 });
          }
          return 'Done.';
        },
      });
      hold = new Promise((resolve) => {
        release = resolve;
      });
      const worker = await startWorker({
        url: redis.url,
        baseURL: fake.url,
        apiKey: 'test-key',
        concurrency,
      });
      const journal = mkdtempSync(join(tmpdir(), 'army-redis-cancel-'));
      const backend = redisBackend({ url: redis.url });
      const queue = new Queue(DEFAULT_QUEUE_NAME, {
        connection: { url: redis.url },
        prefix: DEFAULT_KEY_PREFIX,
      });
      try {
        const army = createArmy({
          backend,
          baseURL: fake.url,
          apiKey: 'test-key',
          journal,
          concurrency: SUBTASKS,
        });
        const controller = new AbortController();
        const items = Array.from({ length: SUBTASKS }, (_, index) => `item ${index + 1}`);
        const running = army.map(items, (item) => `Look up ${item}.`, {
          signal: controller.signal,
        });
        // Every attempt the worker took is waiting on its second call.
        while (held < concurrency) await new Promise((resolve) => setTimeout(resolve, 10));
        controller.abort();
        const cancelled = await running;

        expect(cancelled.status).toBe('cancelled');
        // The run's end waited for the remote attempts to stop: none is still
        // running on the worker (before, each ran on until its call returned).
        const jobs = await queue.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed']);
        expect(jobs.filter((job) => job.data.runId === cancelled.runId)).toEqual([]);
        // Each aborted attempt left no result, and its billed first turn is in the run's ledger.
        expect(fake.billing.entries).toHaveLength(concurrency);
        expect(army.ledger.spent({ runId: cancelled.runId })).toBe(fake.billing.total());
        expect(cancelled.cost.total).toBe(fake.billing.total());
        const client = new Redis(redis.url);
        expect(
          await client.hlen(`${DEFAULT_KEY_PREFIX}:run:{${cancelled.runId}}:results-by-job`),
        ).toBe(0);
        client.disconnect();

        // The held calls may now end (as errors, unbilled): nothing waits for them.
        hold = undefined;
        release();
        const resumed = await army.resume(cancelled.runId);
        expect(resumed.status).toBe('done');
        expect(resumed.subtasks.map((subtask) => subtask.status)).toEqual(
          Array(SUBTASKS).fill('done'),
        );
        // Every subtask ran to its end (two turns), the interrupted ones again: their first turns are paid twice.
        expect(fake.billing.entries).toHaveLength(SUBTASKS * 2 + concurrency);
        expect(army.ledger.spent()).toBe(fake.billing.total());
      } finally {
        hold = undefined;
        release();
        await queue.close();
        await worker.close();
        await backend.close();
        await fake.close();
        rmSync(journal, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
