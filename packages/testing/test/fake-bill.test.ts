import { ModelCatalog } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import { billWithPriceTable, createFakeAnthropic, fakeBill, fakePriceEntry } from '../src/index.js';
import { call } from './helpers.js';

describe("the fake's own bill", () => {
  it('prices every line item from the list price and the vendor multipliers', () => {
    const haiku = fakePriceEntry('claude-haiku-5-5')!;
    // $0.10/M input = 100 nano-USD per token; writes 1.25x and 2x, reads 0.1x; $0.50/M output.
    expect(
      billWithPriceTable(haiku, {
        input_tokens: 1_000,
        output_tokens: 200,
        cache_creation_input_tokens: 3_000,
        cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 1_000 },
        cache_read_input_tokens: 10_000,
      }),
    ).toEqual({
      input: 100_000,
      output: 100_000,
      cacheWrite: 2_000 * 125 + 1_000 * 200,
      cacheRead: 10_000 * 10,
      total: 100_000 + 100_000 + 450_000 + 100_000,
    });
    // Opus 5.5 reads at 0.1x of $4/M = $0.40/M.
    expect(
      billWithPriceTable(fakePriceEntry('claude-opus-5-5')!, { cache_read_input_tokens: 10 })
        .cacheRead,
    ).toBe(10 * 400);
  });

  it('bills the whole request at long-context prices only above the threshold', () => {
    const haiku = fakePriceEntry('claude-haiku-5-5')!;
    const at = billWithPriceTable(haiku, { input_tokens: 60_000, cache_read_input_tokens: 40_000 });
    expect(at).toMatchObject({ input: 60_000 * 100, cacheRead: 40_000 * 10 });
    const above = billWithPriceTable(haiku, {
      input_tokens: 60_001,
      cache_read_input_tokens: 40_000,
      output_tokens: 1,
    });
    expect(above).toMatchObject({ input: 60_001 * 500, cacheRead: 40_000 * 50, output: 2_500 });
  });

  it('halves each batch line item and rounds a half nano-USD up, per item', () => {
    const haiku = fakePriceEntry('claude-haiku-5-5')!;
    // 3 reads at 10 nano = 30 -> 15; 1 5m write at 125 -> 62.5 -> 63; 1 1h write at 200 -> 100.
    expect(
      billWithPriceTable(haiku, {
        input_tokens: 1,
        cache_creation_input_tokens: 2,
        cache_creation: { ephemeral_5m_input_tokens: 1, ephemeral_1h_input_tokens: 1 },
        cache_read_input_tokens: 3,
        service_tier: 'batch',
      }),
    ).toEqual({ input: 50, output: 0, cacheWrite: 63 + 100, cacheRead: 15, total: 228 });
  });

  it("falls back to core's costOf for a model only in the caller's catalog", async () => {
    const catalog = new ModelCatalog();
    catalog.register({
      id: 'claude-custom-1',
      tier: 'haiku',
      displayName: 'Custom',
      contextWindow: 10_000,
      maxOutputTokens: 1_000,
      minCacheableTokens: 512,
      prices: { input: 7, output: 9, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 },
    });
    expect(fakeBill('claude-custom-1', { input_tokens: 2 }, catalog)).toEqual({
      cost: { input: 14_000, output: 0, cacheWrite: 0, cacheRead: 0, total: 14_000 },
      pricedBy: 'catalog',
    });
    // A built-in model keeps the vendor's price even when the catalog overrides it.
    catalog.register({ id: 'claude-haiku-5-5', prices: { input: 9 } });
    const fake = createFakeAnthropic({ latency: 0, catalog, defaultResponder: () => 'ok' });
    for (const model of ['claude-haiku-5-5', 'claude-custom-1']) {
      await call(fake, '/v1/messages', {
        model,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'word' }],
      });
    }
    const [builtIn, custom] = fake.billing.entries;
    expect(builtIn).toMatchObject({ pricedBy: 'price-table', cost: { input: 4 * 100 } });
    expect(custom).toMatchObject({ pricedBy: 'catalog', cost: { input: 4 * 7_000 } });
  });
});
