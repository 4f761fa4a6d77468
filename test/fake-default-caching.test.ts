import Anthropic from '@anthropic-ai/sdk';
import { CostLedger, createGateway } from '@haiku-army/core';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';

const SYSTEM = 'word '.repeat(2000); // 2,000 tokens under the fake's rule

const request = (index: number) => ({
  model: 'claude-haiku-5-5',
  max_tokens: 20,
  system: [{ type: 'text' as const, text: SYSTEM, cache_control: { type: 'ephemeral' as const } }],
  messages: [{ role: 'user' as const, content: `question ${index}` }],
});

describe('the fake with no options, through the gateway', () => {
  it('bills a 20-call fan-out 20 cache writes, the ledger equal to the independent bill', async () => {
    const fake = await startFakeAnthropic({ defaultResponder: () => reply.text('ok') });
    try {
      const ledger = new CostLedger();
      const gateway = createGateway({
        client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
        ledger,
      });
      const attribution = (index: number) => ({
        runId: 'run-1',
        taskId: `shard-${index}`,
        role: 'worker',
      });
      await Promise.all(
        Array.from({ length: 20 }, (_, index) => gateway.call(request(index), attribution(index))),
      );
      await gateway.call(request(20), attribution(20));
      const usages = fake.billing.entries.map((entry) => entry.usage);
      expect(usages.slice(0, 20).every((usage) => usage.cache_creation_input_tokens === 2000)).toBe(
        true,
      );
      expect(usages.slice(0, 20).every((usage) => usage.cache_read_input_tokens === 0)).toBe(true);
      expect(usages[20]).toMatchObject({
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2000,
      });
      // The fake prices with its own table, core with costOf: they must agree.
      expect(fake.billing.entries.every((entry) => entry.pricedBy === 'price-table')).toBe(true);
      expect(ledger.spent()).toBe(fake.billing.total());
      // 2,000 writes at $0.125/M = 250,000 nano-USD each, 20 times; one read at $0.01/M.
      const cacheWrites = fake.billing.entries.reduce(
        (sum, entry) => sum + entry.cost.cacheWrite,
        0,
      );
      expect(cacheWrites).toBe(20 * 2000 * 125);
      expect(fake.billing.entries[20]!.cost.cacheRead).toBe(2000 * 10);
    } finally {
      await fake.close();
    }
  });
});
