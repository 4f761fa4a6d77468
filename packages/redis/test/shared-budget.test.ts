import { createArmy } from '@haiku-army/orchestrator';
import { redisBackend } from '@haiku-army/redis';
import { startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { startWorkerProcesses } from './support/worker-processes.js';

const SUBTASKS = 300;

describe.skipIf(!redisServerAvailable())('the run cap shared by three worker processes', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a cap at 60% of the full run ends budget_exceeded with the spend of every process within it', async () => {
    const fake = await startFakeAnthropic({
      latency: 0,
      defaultLimits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
    });
    const workers = await startWorkerProcesses(3, {
      redisUrl: redis.url,
      baseURL: fake.url,
      concurrency: 8,
    });
    const backend = redisBackend({ url: redis.url });
    const items = Array.from({ length: SUBTASKS }, (_, index) => `file-${index + 1}.ts`);
    const brief = (item: string) => `Summarise ${item} in one sentence.`;
    try {
      const full = await createArmy({
        backend,
        baseURL: fake.url,
        apiKey: 'test-key',
        journal: false,
        concurrency: 48,
      }).map(items, brief);
      expect(full.status).toBe('done');
      const fullCost = full.cost.totals.total;
      expect(fullCost).toBe(fake.billing.total());

      const cap = Math.floor(fullCost * 0.6);
      const billedBefore = fake.billing.total();
      const army = createArmy({
        backend,
        baseURL: fake.url,
        apiKey: 'test-key',
        journal: false,
        concurrency: 48,
        budget: { run: cap },
      });
      const capped = await army.map(items, brief);
      expect(capped.status).toBe('budget_exceeded');
      expect(capped.error).toMatchObject({ code: 'BUDGET_EXCEEDED', scope: 'run' });
      const spentByProcesses = fake.billing.total() - billedBefore;
      // Every process's billed calls, merged: the provider's bill for the run, within the cap.
      expect(capped.cost.totals.total).toBe(spentByProcesses);
      expect(spentByProcesses).toBeLessThanOrEqual(cap);
      // The cap was spent close to its limit, not refused early.
      expect(spentByProcesses).toBeGreaterThan(cap * 0.5);
      expect(capped.subtasks.filter((subtask) => subtask.status === 'done').length).toBeLessThan(
        SUBTASKS,
      );
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await backend.close();
      await fake.close();
    }
  }, 60_000);
});
