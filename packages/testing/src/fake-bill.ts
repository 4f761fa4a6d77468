import { type CostBreakdown, costOf, type ModelCatalog } from '@haiku-army/core';
import {
  FAKE_PRICE_RULES,
  FAKE_PRICE_TABLE,
  type FakeListPrices,
  type FakePriceEntry,
} from './price-table.js';
import type { Usage } from './wire-types.js';

/** An exact non-negative rational number: `numerator / denominator`. */
interface Rational {
  numerator: bigint;
  denominator: bigint;
}

/** Parses a decimal string such as `'0.125'` exactly. */
function decimal(text: string): Rational {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`The fake's price table holds a bad decimal: ${text}`);
  const fraction = match[2] ?? '';
  return {
    numerator: BigInt(`${match[1]}${fraction}`),
    denominator: 10n ** BigInt(fraction.length),
  };
}

function times(a: Rational, b: Rational): Rational {
  return { numerator: a.numerator * b.numerator, denominator: a.denominator * b.denominator };
}

/** nano-USD per token for $1 per million tokens: 1e9 nano-USD / 1e6 tokens. */
const NANO_PER_TOKEN_AT_ONE_USD_PER_MILLION: Rational = { numerator: 1000n, denominator: 1n };

const RULES = {
  cacheWrite5m: decimal(FAKE_PRICE_RULES.cacheWrite5m),
  cacheWrite1h: decimal(FAKE_PRICE_RULES.cacheWrite1h),
  cacheRead: decimal(FAKE_PRICE_RULES.cacheRead),
  batch: decimal(FAKE_PRICE_RULES.batch),
};
const ONE: Rational = { numerator: 1n, denominator: 1n };

/**
 * One line item in whole nano-USD: tokens x price x multiplier (x one half
 * for batch), rounded up. Standard-tier items of the listed prices are
 * always whole; a batch item that leaves half a nano-USD is rounded up.
 */
function lineItem(tokens: number, usdPerMillion: string, multiplier: Rational, batch: boolean) {
  let value = times(
    times(decimal(usdPerMillion), multiplier),
    times(NANO_PER_TOKEN_AT_ONE_USD_PER_MILLION, { numerator: BigInt(tokens), denominator: 1n }),
  );
  if (batch) value = times(value, RULES.batch);
  const whole = (value.numerator + value.denominator - 1n) / value.denominator;
  return Number(whole);
}

function tokens(value: number | null | undefined): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}

/** The fake's own price entry for a canonical id or alias, if it lists the model. */
export function fakePriceEntry(model: string): FakePriceEntry | undefined {
  return FAKE_PRICE_TABLE.find((entry) => entry.id === model || entry.aliases.includes(model));
}

/** Usage as the fake bills it (the fields a `Usage` carries, all optional). */
export type BillableUsage = Partial<
  Pick<
    Usage,
    | 'input_tokens'
    | 'output_tokens'
    | 'cache_creation_input_tokens'
    | 'cache_read_input_tokens'
    | 'service_tier'
  >
> & {
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
};

/**
 * Prices a usage with the fake's own price table and arithmetic (exact
 * rationals in `bigint`), never with core's `costOf`.
 *
 * - Cache writes with no TTL breakdown, or more than the breakdown shows,
 *   are billed as 5-minute writes.
 * - The long-context prices apply to every line item when the prompt
 *   (input + cache writes + cache reads) is above the model's threshold.
 * - The batch tier is half of each line item, rounded up to a whole nano-USD.
 */
export function billWithPriceTable(entry: FakePriceEntry, usage: BillableUsage): CostBreakdown {
  const written = tokens(usage.cache_creation_input_tokens);
  const oneHour = tokens(usage.cache_creation?.ephemeral_1h_input_tokens);
  const fiveMinute = Math.max(
    tokens(usage.cache_creation?.ephemeral_5m_input_tokens),
    written - oneHour,
  );
  const input = tokens(usage.input_tokens);
  const output = tokens(usage.output_tokens);
  const read = tokens(usage.cache_read_input_tokens);
  const prompt = input + fiveMinute + oneHour + read;
  const long = entry.longContext;
  const prices: FakeListPrices = long && prompt > long.thresholdTokens ? long.prices : entry.prices;
  const batch = usage.service_tier === 'batch';
  const cost = {
    input: lineItem(input, prices.input, ONE, batch),
    output: lineItem(output, prices.output, ONE, batch),
    cacheWrite:
      lineItem(fiveMinute, prices.input, RULES.cacheWrite5m, batch) +
      lineItem(oneHour, prices.input, RULES.cacheWrite1h, batch),
    cacheRead: lineItem(read, prices.input, RULES.cacheRead, batch),
  };
  return { ...cost, total: cost.input + cost.output + cost.cacheWrite + cost.cacheRead };
}

/** Which price list billed an entry. */
export type PriceSource = 'price-table' | 'catalog';

/**
 * The fake's bill for one response. A model on the fake's own price table
 * ({@link FAKE_PRICE_TABLE}) is priced from it, whatever prices the caller's
 * catalog holds for it (as the real API bills its list price). A model that
 * is only in the caller's catalog (registered at runtime) falls back to
 * core's `costOf` with that catalog.
 */
export function fakeBill(
  model: string,
  usage: BillableUsage,
  catalog: ModelCatalog,
): { cost: CostBreakdown; pricedBy: PriceSource } {
  const entry = fakePriceEntry(model);
  if (entry) return { cost: billWithPriceTable(entry, usage), pricedBy: 'price-table' };
  return { cost: costOf(model, usage, { catalog }), pricedBy: 'catalog' };
}
