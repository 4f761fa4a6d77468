import type { ModelTier, PricesPerMillion } from './model-info.js';

/**
 * The built-in price list. Prices are US dollars per million tokens as the
 * vendor's model pages list them; they are converted to integer nano-USD per
 * token when the catalog is built. Batch requests cost 50% of every figure.
 */
export const CATALOG_AS_OF = '2026-11-01';

/** A catalog entry as data. */
export interface ModelSpec {
  id: string;
  aliases?: string[];
  tier: ModelTier;
  displayName: string;
  contextWindow: number;
  maxOutputTokens: number;
  minCacheableTokens: number;
  prices: PricesPerMillion;
  longContext?: { thresholdTokens: number; prices: PricesPerMillion };
}

/** Freezes a value and everything in it: the built-in data is shared, so nobody may change it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Every current Claude model, as data. Deeply frozen. */
export const BUILT_IN_MODELS: readonly ModelSpec[] = deepFreeze([
  {
    id: 'claude-haiku-5-5',
    tier: 'haiku',
    displayName: 'Claude Haiku 5.5',
    contextWindow: 1_000_000,
    maxOutputTokens: 64_000,
    minCacheableTokens: 512,
    prices: { input: 0.1, output: 0.5, cacheWrite5m: 0.125, cacheWrite1h: 0.2, cacheRead: 0.01 },
    longContext: {
      thresholdTokens: 100_000,
      prices: { input: 0.5, output: 2.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05 },
    },
  },
  {
    id: 'claude-sonnet-5-5',
    tier: 'sonnet',
    displayName: 'Claude Sonnet 5.5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    minCacheableTokens: 512,
    prices: { input: 2, output: 10, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2 },
  },
  {
    id: 'claude-opus-5-5',
    tier: 'opus',
    displayName: 'Claude Opus 5.5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    minCacheableTokens: 512,
    prices: { input: 4, output: 20, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.4 },
  },
  {
    id: 'claude-haiku-4-5',
    aliases: ['claude-haiku-4-5-20251001'],
    tier: 'haiku',
    displayName: 'Claude Haiku 4.5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    minCacheableTokens: 4096,
    prices: { input: 1, output: 5, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 },
  },
  {
    id: 'claude-sonnet-4-6',
    tier: 'sonnet',
    displayName: 'Claude Sonnet 4.6',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    minCacheableTokens: 1024,
    prices: { input: 3, output: 15, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3 },
  },
  {
    id: 'claude-sonnet-4-5',
    aliases: ['claude-sonnet-4-5-20250929'],
    tier: 'sonnet',
    displayName: 'Claude Sonnet 4.5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    minCacheableTokens: 1024,
    prices: { input: 3, output: 15, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3 },
  },
  {
    id: 'claude-opus-4-6',
    tier: 'opus',
    displayName: 'Claude Opus 4.6',
    contextWindow: 200_000,
    maxOutputTokens: 128_000,
    minCacheableTokens: 4096,
    prices: { input: 5, output: 25, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5 },
  },
  {
    id: 'claude-opus-4-5',
    aliases: ['claude-opus-4-5-20251101'],
    tier: 'opus',
    displayName: 'Claude Opus 4.5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    minCacheableTokens: 4096,
    prices: { input: 5, output: 25, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5 },
  },
]);
