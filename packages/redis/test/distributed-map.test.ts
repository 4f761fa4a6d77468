import { createArmy } from '@haiku-army/orchestrator';
import { DEFAULT_KEY_PREFIX, DEFAULT_QUEUE_NAME, redisBackend } from '@haiku-army/redis';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { startWorkerProcesses, type WorkerProcess } from './support/worker-processes.js';

const SUBTASKS = 5000;

describe.skipIf(!redisServerAvailable())('one coordinator and three worker processes', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('finish a 5,000-subtask map with one worker SIGKILLed midway: each subtask done once, the ledger is the bill', async () => {
    // While `hold` is set, requests wait in the responder and then fail with
    // 529 (never billed): the kill lands when the victim has calls out but
    // none the fake billed and the victim had not yet recorded.
    let hold: Promise<void> | undefined;
    let releaseHold = () => {};
    const fake = await startFakeAnthropic({
      latency: 0,
      defaultLimits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
      defaultResponder: async () => {
        if (hold) {
          await hold;
          return reply.error({ status: 529 });
        }
        return 'Done.';
      },
    });
    const workers: WorkerProcess[] = await startWorkerProcesses(3, {
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
        // The journal and resume are covered by coordinator-resume.test.ts; off here for speed.
        journal: false,
        concurrency: 96,
      });
      const items = Array.from({ length: SUBTASKS }, (_, index) => `item ${index + 1}`);
      const handle = army.map(items, (item) => `Answer for ${item}.`);
      let ended = 0;
      let killed: Promise<void> | undefined;
      let mergedMidway = 0;
      army.events.on('task:end', () => {
        ended += 1;
        if (ended !== Math.floor(SUBTASKS / 3) || killed) return;
        // The workers' ledger streams are merged into the coordinator's ledger while the run goes on.
        mergedMidway = army.ledger.entries().length;
        killed = (async () => {
          hold = new Promise((resolve) => {
            releaseHold = resolve;
          });
          // Responses already sent reach their workers' ledgers first.
          await new Promise((resolve) => setTimeout(resolve, 750));
          workers[0]!.child.kill('SIGKILL');
          await workers[0]!.exited;
          hold = undefined;
          releaseHold();
        })();
      });
      const result = await handle;
      await killed;
      expect(workers[0]!.child.signalCode).toBe('SIGKILL');
      expect(mergedMidway).toBeGreaterThan(0);
      expect(mergedMidway).toBeLessThan(SUBTASKS);

      expect(result.status).toBe('done');
      expect(result.subtasks).toHaveLength(SUBTASKS);
      const ids = result.subtasks.map((subtask) => subtask.id);
      expect(new Set(ids).size).toBe(SUBTASKS);
      expect(result.subtasks.every((subtask) => subtask.status === 'done')).toBe(true);

      // The merged ledger is the fake's billing log, call for call and nano-dollar for nano-dollar.
      const ledger = army.ledger.entries({ runId: result.runId });
      const billed = fake.billing.entries;
      expect(ledger).toHaveLength(billed.length);
      const billedCost = new Map(billed.map((entry) => [entry.requestId, entry.cost.total]));
      expect(new Set(ledger.map((entry) => entry.requestId)).size).toBe(ledger.length);
      for (const entry of ledger) expect(entry.cost.total).toBe(billedCost.get(entry.requestId!));
      expect(result.cost.totals.total).toBe(fake.billing.total());

      // No subtask was billed twice: one billed call per subtask, the interrupted ones included.
      const perTask = new Map<string, number>();
      for (const entry of ledger) perTask.set(entry.taskId, (perTask.get(entry.taskId) ?? 0) + 1);
      expect(perTask.size).toBe(SUBTASKS);
      expect([...perTask.values()].every((count) => count === 1)).toBe(true);

      // The kill interrupted subtasks: BullMQ found their jobs stalled and another worker finished them.
      const queue = new Queue(DEFAULT_QUEUE_NAME, {
        connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) },
        prefix: DEFAULT_KEY_PREFIX,
      });
      try {
        const jobs = await queue.getJobs(['completed'], 0, -1);
        expect(jobs).toHaveLength(SUBTASKS);
        const recovered = jobs.filter((job) => job.stalledCounter > 0);
        expect(recovered.length).toBeGreaterThan(0);
        for (const job of recovered) expect(perTask.get(job.data.task.id)).toBe(1);
      } finally {
        await queue.close();
      }
    } finally {
      releaseHold();
      await Promise.all(workers.map((worker) => worker.stop()));
      await backend.close();
      await fake.close();
    }
  }, 120_000);
});
