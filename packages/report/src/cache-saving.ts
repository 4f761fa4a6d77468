import type { LedgerTotals, ModelCatalog, NanoUsd } from '@haiku-army/core';

/** What prompt caching saved, nano-USD. `net = readSaving - writePremium`. */
export interface CacheSaving {
  /** What the cache-read tokens would have cost as uncached input, minus what they cost. */
  readSaving: NanoUsd;
  /** What the cache writes cost above the same tokens as uncached input. */
  writePremium: NanoUsd;
  net: NanoUsd;
  /** Models the catalog does not know (their calls are left out of the figures). */
  unpriced: string[];
}

/** Spend of calls on one model, for {@link cacheSaving}. */
export interface ModelSpend {
  model: string;
  totals: LedgerTotals;
}

/**
 * What prompt caching saved, from each group's cost breakdown and the
 * catalog's price ratios.
 *
 * A group's `cacheRead` cost divided by the model's cache-read price and
 * multiplied by its input price is what those tokens would have cost as
 * uncached input; likewise for the cache writes (5 minute and 1 hour writes
 * weighted by their token counts). Working from the billed amounts rather
 * than from token counts times list prices keeps the batch discount and
 * long-context prices in (both scale every line item of a call alike), so
 * the saving is measured against what the same calls would have cost
 * without the cache. Results are rounded to whole nano-USD.
 */
export function cacheSaving(groups: readonly ModelSpend[], catalog: ModelCatalog): CacheSaving {
  let read = 0;
  let premium = 0;
  const unpriced = new Set<string>();
  for (const { model, totals } of groups) {
    const { usage, cost } = totals;
    const cached = usage.cacheReadTokens + usage.cacheWrite5mTokens + usage.cacheWrite1hTokens;
    if (cached === 0) continue;
    const info = catalog.find(model);
    if (!info) {
      unpriced.add(model);
      continue;
    }
    const prices = info.prices;
    if (usage.cacheReadTokens > 0 && prices.cacheRead > 0) {
      read += (cost.cacheRead * prices.input) / prices.cacheRead - cost.cacheRead;
    }
    const writeTokens = usage.cacheWrite5mTokens + usage.cacheWrite1hTokens;
    const writeList =
      usage.cacheWrite5mTokens * prices.cacheWrite5m +
      usage.cacheWrite1hTokens * prices.cacheWrite1h;
    if (writeTokens > 0 && writeList > 0) {
      premium += cost.cacheWrite - (cost.cacheWrite * writeTokens * prices.input) / writeList;
    }
  }
  const readSaving = Math.round(read);
  const writePremium = Math.round(premium);
  return {
    readSaving,
    writePremium,
    net: readSaving - writePremium,
    unpriced: [...unpriced].sort(),
  };
}
