import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArmy, loadRun, loadRunSummary } from '@haiku-army/orchestrator';
import { redisBackend } from '@haiku-army/redis';
import { startFakeAnthropic } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis } from './support/redis-server.js';
import { startWorkerProcesses } from './support/worker-processes.js';

describe.skipIf(!redisServerAvailable())('Redis lost mid-run', () => {
  // Once quarantined: closing hung when a connection of BullMQ's own (which
  // waits through reconnects) sent QUIT to the stopped server while ioredis
  // was between reconnect tries. The coordinator's queue now shares its
  // fail-fast connection, and a worker closes by force when Redis is gone.
  it('ends the run with BACKEND_UNAVAILABLE, resumable, with no subtask acknowledged that Redis did not hold', async () => {
    const redis = await startRedis();
    const fake = await startFakeAnthropic({
      latency: 10,
      defaultLimits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
    });
    const workers = await startWorkerProcesses(2, {
      redisUrl: redis.url,
      baseURL: fake.url,
      concurrency: 8,
    });
    const journal = mkdtempSync(join(tmpdir(), 'army-redis-lost-'));
    const backend = redisBackend({ url: redis.url, connectTimeoutMs: 1000 });
    try {
      const army = createArmy({
        backend,
        baseURL: fake.url,
        apiKey: 'test-key',
        journal,
        concurrency: 24,
      });
      let runId = '';
      let ended = 0;
      let stopped: Promise<void> | undefined;
      army.events.on('run:start', (event) => {
        runId = event.runId;
      });
      army.events.on('task:end', () => {
        ended += 1;
        if (ended === 100) stopped = redis.stop();
      });
      const items = Array.from({ length: 3000 }, (_, index) => `item ${index + 1}`);
      await expect(army.map(items, (item) => `Answer ${item}.`)).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
      });
      await stopped;
      // The journal has no end: the run is resumable once Redis is back.
      const summary = await loadRunSummary(runId, { journal });
      expect(summary.status).toBe('interrupted');
      const run = await loadRun(runId, { journal });
      const finished = run.subtasks ?? [];
      // Only results the workers wrote to Redis were acknowledged as done; the rest were never marked failed.
      expect(finished.filter((result) => result.status === 'failed')).toEqual([]);
      const done = finished.filter((result) => result.status === 'done').length;
      expect(done).toBeGreaterThanOrEqual(100);
      expect(done).toBeLessThan(items.length);
      expect(fake.billing.entries.length).toBeGreaterThanOrEqual(done);
      // The worker processes stop on SIGTERM with Redis gone, rather than wait for it.
      const timedOut = Symbol('timed out');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stoppedWorkers = await Promise.race([
        Promise.all(workers.map((worker) => worker.stop())),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), 20_000);
        }),
      ]);
      clearTimeout(timer);
      expect(
        stoppedWorkers,
        'a worker process did not exit after SIGTERM with Redis gone',
      ).not.toBe(timedOut);
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.exited));
      await backend.close();
      await fake.close();
      await redis.stop();
    }
  }, 60_000);
});
