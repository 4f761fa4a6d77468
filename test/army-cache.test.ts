import { createArmy } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  // A first-byte latency makes 30 simultaneous requests overlap, as on the real API.
  fake = await startFakeAnthropic({
    latency: { firstByte: 25 },
    models: { 'claude-haiku-5-5': () => reply.text('Reviewed.') },
  });
});
afterAll(() => fake.close());

const sharedPrefix = `Repository map:\n${Array.from({ length: 400 }, (_, index) => `src/file-${index}.ts exports thing${index}`).join('\n')}`;

async function mapWith(warmCache?: boolean) {
  fake.reset();
  const army = createArmy({
    baseURL: fake.url,
    apiKey: 'test-key',
    concurrency: 30,
    sharedPrefix,
    ...(warmCache !== undefined ? { warmCache } : {}),
  });
  const result = await army.map(
    Array.from({ length: 30 }, (_, index) => `src/file-${index}.ts`),
    (file) => `Review ${file}.`,
  );
  const writes = fake.billing.entries.filter(
    (entry) => entry.usage.cache_creation_input_tokens > 0,
  );
  const reads = fake.billing.entries.filter((entry) => entry.usage.cache_read_input_tokens > 0);
  return { result, writes, reads };
}

describe('cache warming', () => {
  it('30 workers sharing a cacheable prefix pay 1 cache write and 29 reads', async () => {
    const { result, writes, reads } = await mapWith();
    expect(result.status).toBe('done');
    expect(fake.billing.entries).toHaveLength(30);
    expect(writes).toHaveLength(1);
    expect(reads).toHaveLength(29);
    const usage = result.cost.usage;
    const all =
      usage.inputTokens +
      usage.cacheReadTokens +
      usage.cacheWrite5mTokens +
      usage.cacheWrite1hTokens;
    expect(result.cacheHitRate).toBe(usage.cacheReadTokens / all);
    expect(result.cacheHitRate).toBeGreaterThan(0.8);
  });

  it('without warming the same fan-out writes the prefix many times (the control)', async () => {
    const { writes } = await mapWith(false);
    expect(writes.length).toBeGreaterThan(1);
  });
});
