import type { NanoUsd } from '../money.js';

/** A model family tier. */
export type ModelTier = 'haiku' | 'sonnet' | 'opus';

/** Prices of one model, in nano-USD per token (1 = $0.001 per million tokens). */
export interface ModelPrices {
  input: NanoUsd;
  output: NanoUsd;
  /** Cache write with the default 5 minute TTL. */
  cacheWrite5m: NanoUsd;
  /** Cache write with the 1 hour TTL. */
  cacheWrite1h: NanoUsd;
  cacheRead: NanoUsd;
}

/** Prices that apply to the whole request once its prompt is over a threshold. */
export interface LongContextPricing {
  /**
   * A request whose prompt (input + cache writes + cache reads) is strictly
   * greater than this many tokens is billed entirely at `prices`.
   */
  thresholdTokens: number;
  prices: ModelPrices;
}

/** One model in the catalog. */
export interface ModelInfo {
  /** The canonical API id, e.g. `claude-haiku-5-5`. */
  id: string;
  /** Other ids that resolve to this model (dated snapshots). */
  aliases: readonly string[];
  tier: ModelTier;
  displayName: string;
  /** Context window, tokens. */
  contextWindow: number;
  /** Largest `max_tokens` the model accepts. */
  maxOutputTokens: number;
  /** Shortest prompt prefix, in tokens, that the API will cache. */
  minCacheableTokens: number;
  prices: ModelPrices;
  longContext?: LongContextPricing;
}

/** Prices as written on a price page: US dollars per million tokens. */
export interface PricesPerMillion {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}
