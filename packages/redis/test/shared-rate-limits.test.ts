import { createArmy } from '@haiku-army/orchestrator';
import { redisBackend } from '@haiku-army/redis';
import { startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from './support/redis-server.js';
import { startWorkerProcesses } from './support/worker-processes.js';

const RPM = 600;
const SUBTASKS = 150;
/** Requests sent before the run, so the run starts with an almost empty bucket and must pace. */
const DRAIN = RPM - 10;

describe.skipIf(!redisServerAvailable())('rate limits shared by three worker processes', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('together stay under a 600 requests-per-minute limit: under 0.5% of requests answered 429', async () => {
    const fake = await startFakeAnthropic({ latency: 0, defaultLimits: { rpm: RPM } });
    const workers = await startWorkerProcesses(3, {
      redisUrl: redis.url,
      baseURL: fake.url,
      concurrency: 8,
    });
    const backend = redisBackend({ url: redis.url });
    try {
      for (let sent = 0; sent < DRAIN; sent += 50)
        await Promise.all(
          Array.from({ length: Math.min(50, DRAIN - sent) }, () =>
            fetch(`${fake.url}/v1/messages`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-api-key': 'test-key',
                'anthropic-version': '2023-06-01',
              },
              body: JSON.stringify({
                model: 'claude-haiku-5-5',
                max_tokens: 16,
                messages: [{ role: 'user', content: 'drain' }],
              }),
            }).then((response) => response.text()),
          ),
        );
      expect(fake.stats().rateLimited).toBe(0);
      fake.resetStats();

      const result = await createArmy({
        backend,
        baseURL: fake.url,
        apiKey: 'test-key',
        journal: false,
        concurrency: 48,
      }).map(
        Array.from({ length: SUBTASKS }, (_, index) => index + 1),
        (item) => `Answer ${item}.`,
      );
      expect(result.status).toBe('done');
      const { requests, rateLimited } = fake.stats();
      expect(requests).toBeGreaterThanOrEqual(SUBTASKS);
      expect(rateLimited / requests).toBeLessThan(0.005);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await backend.close();
      await fake.close();
    }
  }, 60_000);
});
