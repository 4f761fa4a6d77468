import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costOf, formatUsd, ModelCatalog, usd } from '../src/index.js';

// Listed $/MTok figures, written out as nano-USD per token independently of the catalog.
const PRICES: Record<string, [number, number, number, number, number]> = {
  'claude-haiku-5-5': [100, 500, 125, 200, 10],
  'claude-sonnet-5-5': [2000, 10000, 2500, 4000, 200],
  'claude-opus-5-5': [4000, 20000, 5000, 8000, 400],
  'claude-haiku-4-5': [1000, 5000, 1250, 2000, 100],
  'claude-sonnet-4-6': [3000, 15000, 3750, 6000, 300],
  'claude-sonnet-4-5': [3000, 15000, 3750, 6000, 300],
  'claude-opus-4-6': [5000, 25000, 6250, 10000, 500],
  'claude-opus-4-5': [5000, 25000, 6250, 10000, 500],
};

const usage = {
  input_tokens: 1_000,
  output_tokens: 700,
  cache_creation_input_tokens: 500,
  cache_read_input_tokens: 4_000,
  cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 300 },
};

describe('costOf', () => {
  for (const [model, [input, output, write5m, write1h, read]] of Object.entries(PRICES)) {
    it(`prices every usage field of ${model} exactly`, () => {
      expect(costOf(model, usage)).toEqual({
        input: 1_000 * input,
        output: 700 * output,
        cacheWrite: 200 * write5m + 300 * write1h,
        cacheRead: 4_000 * read,
        total: 1_000 * input + 700 * output + 200 * write5m + 300 * write1h + 4_000 * read,
      });
    });

    it(`prices the batch tier of ${model} at 50%`, () => {
      const batch = costOf(model, { ...usage, service_tier: 'batch' });
      expect(batch.input).toBe((1_000 * input) / 2);
      expect(batch.output).toBe((700 * output) / 2);
      expect(batch.cacheRead).toBe((4_000 * read) / 2);
      expect(batch.total).toBe(batch.input + batch.output + batch.cacheWrite + batch.cacheRead);
    });
  }

  it('bills cache writes without a TTL breakdown at the 5 minute price', () => {
    expect(
      costOf('claude-sonnet-4-5', {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: 1000,
      }).cacheWrite,
    ).toBe(3_750_000);
  });

  it('rounds half nano-USD batch line items up', () => {
    // Haiku 5.5's 5m write is 125 nano/token; half of one token is 62.5.
    const cost = costOf('claude-haiku-5-5', {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 1,
      cache_creation: { ephemeral_5m_input_tokens: 1, ephemeral_1h_input_tokens: 0 },
      service_tier: 'batch',
    });
    expect(cost.cacheWrite).toBe(63);
  });

  it('applies Haiku 5.5 long-context prices to the whole request above 100K prompt tokens', () => {
    const atThreshold = costOf('claude-haiku-5-5', {
      input_tokens: 60_000,
      cache_read_input_tokens: 40_000,
      output_tokens: 1_000,
    });
    expect(atThreshold).toEqual({
      input: 6_000_000,
      output: 500_000,
      cacheWrite: 0,
      cacheRead: 400_000,
      total: 6_900_000,
    });
    const over = costOf('claude-haiku-5-5', {
      input_tokens: 60_000,
      cache_read_input_tokens: 40_000,
      cache_creation_input_tokens: 1,
      output_tokens: 1_000,
    });
    expect(over).toEqual({
      input: 30_000_000,
      output: 2_500_000,
      cacheWrite: 625,
      cacheRead: 2_000_000,
      total: 34_500_625,
    });
    const overBatch = costOf('claude-haiku-5-5', {
      input_tokens: 100_001,
      output_tokens: 2,
      service_tier: 'batch',
    });
    expect(overBatch.total).toBe(25_000_250 + 2_500);
  });

  it('does not apply long-context prices to other models', () => {
    expect(costOf('claude-sonnet-5-5', { input_tokens: 500_000, output_tokens: 0 }).total).toBe(
      500_000 * 2000,
    );
  });

  it('rejects malformed usage', () => {
    expect(() => costOf('claude-haiku-5-5', { input_tokens: -1, output_tokens: 0 })).toThrow(
      /usage.input_tokens/,
    );
    expect(() => costOf('claude-haiku-5-5', { input_tokens: 1.5, output_tokens: 0 })).toThrow(
      /integer/,
    );
    expect(() => costOf('nope', { input_tokens: 1 })).toThrow(/Unknown model/);
  });

  it('honours catalog overrides', () => {
    const catalog = new ModelCatalog();
    catalog.register({ id: 'claude-haiku-5-5', prices: { output: 0.4 } });
    expect(costOf('claude-haiku-5-5', { output_tokens: 10 }, { catalog }).total).toBe(4_000);
  });

  it('is integral, additive and exactly half in batch for any usage (property)', () => {
    const models = Object.keys(PRICES);
    const count = fc.integer({ min: 0, max: 5_000_000 });
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        count,
        count,
        count,
        count,
        count,
        fc.boolean(),
        (model, input, output, w5, w1, read, batch) => {
          const cost = costOf(model, {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: w5 + w1,
            cache_read_input_tokens: read,
            cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
            service_tier: batch ? 'batch' : 'standard',
          });
          for (const value of Object.values(cost)) expect(Number.isSafeInteger(value)).toBe(true);
          expect(cost.total).toBe(cost.input + cost.output + cost.cacheWrite + cost.cacheRead);
          if (batch) {
            const { service_tier: _tier, ...standardUsage } = {
              input_tokens: input,
              output_tokens: output,
              cache_creation_input_tokens: w5 + w1,
              cache_read_input_tokens: read,
              cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
              service_tier: 'batch',
            };
            const full = costOf(model, standardUsage);
            expect(cost.input).toBe(Math.ceil(full.input / 2));
            expect(cost.output).toBe(Math.ceil(full.output / 2));
            expect(cost.cacheRead).toBe(Math.ceil(full.cacheRead / 2));
            // Two write line items (5m, 1h) may each round up by half a nano.
            expect(cost.cacheWrite - Math.ceil(full.cacheWrite / 2)).toBeGreaterThanOrEqual(0);
            expect(cost.cacheWrite - Math.ceil(full.cacheWrite / 2)).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });
});

describe('money', () => {
  it('formats nano-USD as dollars with integer arithmetic', () => {
    expect(formatUsd(1_234_500_000)).toBe('$1.2345');
    expect(formatUsd(0)).toBe('$0.0000');
    expect(formatUsd(1_500)).toBe('$0.000002');
    expect(formatUsd(-2_000_000_000)).toBe('-$2.0000');
    expect(formatUsd(123_456_789_000_000, { digits: 2 })).toBe('$123,456.79');
    expect(() => formatUsd(1.5)).toThrow(/integer/);
  });

  it('converts dollars to nano-USD', () => {
    expect(usd(5)).toBe(5_000_000_000);
    expect(usd(0.1)).toBe(100_000_000);
  });
});
