import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArmy } from '@haiku-army/orchestrator';
import { redisBackend } from '@haiku-army/redis';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { startWorkerProcesses } from './support/worker-processes.js';

const SUBTASKS = 400;
const coordinator = fileURLToPath(new URL('./fixtures/coordinator-process.mjs', import.meta.url));

describe.skipIf(!redisServerAvailable())('a coordinator killed mid-run', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('resume reattaches to the queue: every subtask done once, none billed twice, the ledger is the bill', async () => {
    const fake = await startFakeAnthropic({
      latency: 5,
      defaultLimits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
      defaultResponder: () => reply.text('Done.'),
    });
    const workers = await startWorkerProcesses(2, {
      redisUrl: redis.url,
      baseURL: fake.url,
      concurrency: 8,
    });
    const journal = mkdtempSync(join(tmpdir(), 'army-redis-resume-'));
    const backend = redisBackend({ url: redis.url });
    try {
      const child = spawn(
        process.execPath,
        [coordinator, redis.url, fake.url, journal, String(SUBTASKS)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let runId = '';
      let ended = 0;
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop()!;
          for (const line of lines) {
            if (line.startsWith('run ')) runId = line.slice(4);
            if (line === 'ended') ended += 1;
            if (line === 'finished')
              reject(new Error('the coordinator finished before it was killed'));
          }
          if (ended >= SUBTASKS / 4) {
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      await exited;
      expect(runId).not.toBe('');
      // The workers keep draining what the dead coordinator had enqueued.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const army = createArmy({ backend, baseURL: fake.url, apiKey: 'test-key', journal });
      const result = await army.resume(runId);
      expect(result.runId).toBe(runId);
      expect(result.status).toBe('done');
      expect(result.subtasks).toHaveLength(SUBTASKS);
      expect(new Set(result.subtasks.map((subtask) => subtask.id)).size).toBe(SUBTASKS);
      expect(result.subtasks.every((subtask) => subtask.status === 'done')).toBe(true);

      const ledger = army.ledger.entries({ runId });
      const billed = new Map(fake.billing.entries.map((entry) => [entry.requestId, entry]));
      expect(ledger).toHaveLength(billed.size);
      for (const entry of ledger)
        expect(entry.cost.total).toBe(billed.get(entry.requestId!)?.cost.total);
      const perTask = new Map<string, number>();
      for (const entry of ledger) perTask.set(entry.taskId, (perTask.get(entry.taskId) ?? 0) + 1);
      expect(perTask.size).toBe(SUBTASKS);
      expect([...perTask.values()].every((count) => count === 1)).toBe(true);
      expect(result.cost.totals.total).toBe(fake.billing.total());
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await backend.close();
      await fake.close();
    }
  }, 60_000);
});
