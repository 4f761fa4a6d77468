import { costOf, defaultCatalog, type ModelInfo } from '@haiku-army/core';
import {
  type BillableUsage,
  billWithPriceTable,
  FAKE_PRICE_TABLE,
  fakePriceEntry,
} from '@haiku-army/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type LineItem = 'input' | 'output' | 'cacheWrite' | 'cacheRead';

/**
 * Where core's catalog and the vendor's price list (the fake's table) are
 * known to differ. claude-opus-5-5 lists a $4/M input, so a cache read is
 * $0.40/M by the vendor's 0.1x rule; core's catalog has $0.20/M. The test
 * below asserts the exact difference, so it fails once core is corrected:
 * then delete the entry.
 */
// Models on which core and the fake are known to differ (none today: the
// agreement test found core's Opus 5.5 cache-read price at 0.05x input, not
// the vendor's 0.1x, and core was fixed).
const KNOWN_DIFFERENCES: Partial<Record<string, { item: LineItem; fakeOverCore: number }>> = {};

const usageArbitrary = (model: ModelInfo) =>
  fc
    .record({
      input: fc.integer({ min: 0, max: 150_000 }),
      output: fc.integer({ min: 0, max: 64_000 }),
      write5m: fc.integer({ min: 0, max: 80_000 }),
      write1h: fc.integer({ min: 0, max: 80_000 }),
      read: fc.integer({ min: 0, max: 80_000 }),
      batch: fc.boolean(),
      // Some usages carry no TTL breakdown: every write is then a 5-minute write.
      breakdown: fc.boolean(),
      // Land right on the long-context threshold now and then.
      nearThreshold: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
    })
    .map((draw): BillableUsage => {
      let input = draw.input;
      const write1h = draw.breakdown ? draw.write1h : 0;
      const threshold = model.longContext?.thresholdTokens;
      if (threshold !== undefined && draw.nearThreshold !== undefined) {
        input = Math.max(0, threshold + draw.nearThreshold - draw.write5m - write1h - draw.read);
      }
      return {
        input_tokens: input,
        output_tokens: draw.output,
        cache_creation_input_tokens: draw.write5m + write1h,
        cache_read_input_tokens: draw.read,
        cache_creation: draw.breakdown
          ? { ephemeral_5m_input_tokens: draw.write5m, ephemeral_1h_input_tokens: write1h }
          : null,
        service_tier: draw.batch ? 'batch' : 'standard',
      };
    });

describe("the fake's own price table against core's costOf", () => {
  it('lists every model of core’s catalog, with its aliases', () => {
    const ids = defaultCatalog.list().map((model) => model.id);
    expect(FAKE_PRICE_TABLE.map((entry) => entry.id).sort()).toEqual([...ids].sort());
    for (const model of defaultCatalog.list()) {
      expect([...fakePriceEntry(model.id)!.aliases].sort()).toEqual([...model.aliases].sort());
      expect(Boolean(fakePriceEntry(model.id)!.longContext)).toBe(Boolean(model.longContext));
      expect(fakePriceEntry(model.id)!.longContext?.thresholdTokens).toBe(
        model.longContext?.thresholdTokens,
      );
    }
  });

  for (const model of defaultCatalog.list()) {
    it(`agrees on ${model.id}: every usage field, both TTLs, batch, long context`, () => {
      const entry = fakePriceEntry(model.id)!;
      const known = KNOWN_DIFFERENCES[model.id];
      fc.assert(
        fc.property(usageArbitrary(model), (usage) => {
          const fake = billWithPriceTable(entry, usage);
          const core = costOf(model, usage);
          for (const item of ['input', 'output', 'cacheWrite', 'cacheRead'] as const) {
            if (known?.item === item) {
              // Exactly the documented difference: the standard price times the
              // factor, halved and rounded up at the batch tier.
              const standard = costOf(model, { ...usage, service_tier: 'standard' })[item];
              const full = standard * known.fakeOverCore;
              const batch = usage.service_tier === 'batch';
              expect(fake[item]).toBe(batch ? Math.ceil(full / 2) : full);
            } else {
              expect(fake[item]).toBe(core[item]);
            }
          }
          expect(fake.total).toBe(fake.input + fake.output + fake.cacheWrite + fake.cacheRead);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('still holds the known differences (delete an entry once core agrees)', () => {
    for (const [id, known] of Object.entries(KNOWN_DIFFERENCES)) {
      const usage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000 };
      const fake = billWithPriceTable(fakePriceEntry(id)!, usage);
      const core = costOf(id, usage);
      expect(fake[known!.item]).toBe(core[known!.item] * known!.fakeOverCore);
    }
  });
});
