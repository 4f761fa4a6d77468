import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArmy, listRuns } from '@haiku-army/orchestrator';
import { redisBackend, startWorker } from '@haiku-army/redis';
import { startFakeAnthropic } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import { freePort, redisServerAvailable, startRedis } from './support/redis-server.js';

describe('an unreachable Redis', () => {
  it('fails a run with BACKEND_UNAVAILABLE before anything is journaled or enqueued', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const journal = mkdtempSync(join(tmpdir(), 'army-redis-down-'));
    const fake = await startFakeAnthropic({ latency: 0 });
    const backend = redisBackend({ url, connectTimeoutMs: 1000 });
    try {
      const army = createArmy({ backend, baseURL: fake.url, apiKey: 'test-key', journal });
      const run = army.map(['a', 'b'], (item) => `Answer ${item}.`);
      await expect(run).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        message: expect.stringContaining(`Redis at ${url}`),
      });
      expect(await listRuns({ journal })).toEqual([]);
      expect(fake.billing.entries).toHaveLength(0);
    } finally {
      await backend.close();
      await fake.close();
    }
  });

  it.skipIf(!redisServerAvailable())(
    'leaves the backend usable: once Redis is up, the same backend runs the next map',
    async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      const fake = await startFakeAnthropic({ latency: 0 });
      const backend = redisBackend({ url, connectTimeoutMs: 1000 });
      let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
      let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
      try {
        const army = createArmy({ backend, baseURL: fake.url, apiKey: 'test-key', journal: false });
        await expect(army.map(['a'], (item) => `Answer ${item}.`)).rejects.toMatchObject({
          code: 'BACKEND_UNAVAILABLE',
        });
        redis = await startRedis({ port });
        worker = await startWorker({ url, baseURL: fake.url, apiKey: 'test-key' });
        const result = await army.map(['a', 'b'], (item) => `Answer ${item}.`);
        expect(result.status).toBe('done');
        expect(fake.billing.entries).toHaveLength(2);
      } finally {
        await worker?.close();
        await backend.close();
        await fake.close();
        await redis?.stop();
      }
    },
  );

  it('stops a worker from starting, with BACKEND_UNAVAILABLE', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await expect(startWorker({ url, connectTimeoutMs: 1000 })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
  });

  it('names a bad URL as a caller mistake', () => {
    expect(() => redisBackend({ url: 'localhost:6379' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('`url`'),
      }),
    );
  });
});
