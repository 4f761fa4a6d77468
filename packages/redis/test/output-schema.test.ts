import { createArmy } from '@haiku-army/orchestrator';
import { redisBackend } from '@haiku-army/redis';
import { lastUserText, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { startWorkerProcesses, type WorkerProcess } from './support/worker-processes.js';

describe.skipIf(!redisServerAvailable())('an output schema on the Redis backend', () => {
  let redis: TestRedis;
  let workers: WorkerProcess[] = [];
  let fake: Awaited<ReturnType<typeof startFakeAnthropic>>;
  beforeAll(async () => {
    redis = await startRedis();
    // Each worker submits { answer, count } with the count its brief names.
    fake = await startFakeAnthropic({
      latency: 0,
      defaultResponder: (request) => {
        const count = Number(/Count (\d+)\./.exec(lastUserText(request))?.[1] ?? 0);
        return reply.toolUse('submit_result', {
          status: 'done',
          summary: `Counted ${count}.`,
          data: { answer: 'yes', count },
        });
      },
    });
    workers = await startWorkerProcesses(1, {
      redisUrl: redis.url,
      baseURL: fake.url,
      concurrency: 8,
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await fake?.close();
    await redis?.stop();
  });

  it('travels to the workers as JSON Schema and the data comes back checked against the caller’s schema', async () => {
    const backend = redisBackend({ url: redis.url });
    try {
      const army = createArmy({
        backend,
        baseURL: fake.url,
        apiKey: 'test-key',
        journal: false,
        maxAttempts: 1,
      });
      const items = Array.from({ length: 12 }, (_, index) => index + 1);
      const result = await army.map(items, (item) => `Count ${item}.`, {
        // The refinement does not travel in JSON Schema: only the coordinator can apply it.
        output: z.object({
          answer: z.string(),
          count: z
            .number()
            .int()
            .refine((n) => n <= 10),
        }),
      });
      expect(result.status).toBe('partial');
      const byCount = new Map(result.subtasks.map((subtask, index) => [index + 1, subtask]));
      for (const count of items.filter((item) => item <= 10)) {
        expect(byCount.get(count)).toMatchObject({
          status: 'done',
          data: { answer: 'yes', count },
        });
      }
      for (const count of [11, 12])
        expect(byCount.get(count)).toMatchObject({ status: 'failed', code: 'INVALID_RESULT' });
    } finally {
      await backend.close();
    }
  }, 60_000);
});
