/**
 * The fake API's own price list, kept apart from core's catalog so that the
 * fake's bill is an independent check of core's `costOf`: a pricing bug in
 * core shows up as a difference between the ledger and the fake's bill
 * instead of being reproduced by both.
 *
 * Written from the vendor's price list: base input and output prices in US
 * dollars per million tokens, as decimal strings (never floats). Cache and
 * batch prices are not listed per model; they follow the vendor's rules in
 * {@link FAKE_PRICE_RULES}, applied by the fake's own arithmetic
 * (`fake-bill.ts`).
 */
export const FAKE_PRICES_AS_OF = '2026-11-01';

/** Input and output prices, US dollars per million tokens, as decimal strings. */
export interface FakeListPrices {
  input: string;
  output: string;
}

/** One model on the fake's price list. */
export interface FakePriceEntry {
  /** Canonical model id. */
  id: string;
  /** Dated snapshot ids billed like `id`. */
  aliases: readonly string[];
  /** Standard (short-context) prices. */
  prices: FakeListPrices;
  /**
   * A request whose prompt (input + cache writes + cache reads) is strictly
   * above `thresholdTokens` is billed entirely at these prices.
   */
  longContext?: { thresholdTokens: number; prices: FakeListPrices };
}

/**
 * The vendor's multipliers, as decimal strings: cache writes and reads are
 * priced from the input price, and the batch tier is half of every line item.
 */
export const FAKE_PRICE_RULES = {
  /** A 5-minute cache write costs 1.25 times the input price. */
  cacheWrite5m: '1.25',
  /** A 1-hour cache write costs 2 times the input price. */
  cacheWrite1h: '2',
  /** A cache read costs 0.1 times the input price. */
  cacheRead: '0.1',
  /** Message Batches cost half of every line item. */
  batch: '0.5',
} as const;

/** The models the fake prices itself, as the vendor lists them. */
export const FAKE_PRICE_TABLE: readonly FakePriceEntry[] = [
  {
    id: 'claude-haiku-5-5',
    aliases: [],
    prices: { input: '0.10', output: '0.50' },
    longContext: { thresholdTokens: 100_000, prices: { input: '0.50', output: '2.50' } },
  },
  { id: 'claude-sonnet-5-5', aliases: [], prices: { input: '2.00', output: '10.00' } },
  { id: 'claude-opus-5-5', aliases: [], prices: { input: '4.00', output: '20.00' } },
  {
    id: 'claude-haiku-4-5',
    aliases: ['claude-haiku-4-5-20251001'],
    prices: { input: '1.00', output: '5.00' },
  },
  { id: 'claude-sonnet-4-6', aliases: [], prices: { input: '3.00', output: '15.00' } },
  {
    id: 'claude-sonnet-4-5',
    aliases: ['claude-sonnet-4-5-20250929'],
    prices: { input: '3.00', output: '15.00' },
  },
  { id: 'claude-opus-4-6', aliases: [], prices: { input: '5.00', output: '25.00' } },
  {
    id: 'claude-opus-4-5',
    aliases: ['claude-opus-4-5-20251101'],
    prices: { input: '5.00', output: '25.00' },
  },
];
