import { defaultCatalog, type ModelCatalog } from './catalog/model-catalog.js';
import type { ModelInfo, ModelPrices } from './catalog/model-info.js';
import { invalidOption } from './errors.js';
import type { NanoUsd } from './money.js';

/**
 * The usage fields the API returns (the SDK's `Usage`), every field optional
 * or nullable so partial and streaming usages are accepted.
 */
export interface UsageLike {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
  service_tier?: string | null;
}

/** Usage with every field present, as the ledger stores it. */
export interface NormalizedUsage {
  inputTokens: number;
  outputTokens: number;
  /** Cache writes with the 5 minute TTL. */
  cacheWrite5mTokens: number;
  /** Cache writes with the 1 hour TTL. */
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  serviceTier: 'standard' | 'priority' | 'batch';
}

/** Token counts summed over calls (a usage without its service tier). */
export type TokenCounts = Omit<NormalizedUsage, 'serviceTier'>;

/** Token counts at zero. */
export function zeroTokens(): TokenCounts {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
  };
}

/** Adds the token counts of `b` into a copy of `a`. */
export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheWrite5mTokens: a.cacheWrite5mTokens + b.cacheWrite5mTokens,
    cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
  };
}

/** A cost split by line item, nano-USD. `total` is their exact sum. */
export interface CostBreakdown {
  input: NanoUsd;
  output: NanoUsd;
  cacheWrite: NanoUsd;
  cacheRead: NanoUsd;
  total: NanoUsd;
}

/** Options for {@link costOf}. */
export interface CostOfOptions {
  /** The catalog to price with. @default the default catalog */
  catalog?: ModelCatalog;
}

function count(name: string, value: number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0)
    throw invalidOption(`usage.${name}`, 'an integer >= 0', value);
  return value;
}

/** Fills in every usage field. A cache write without a TTL breakdown counts as 5 minute writes. */
export function normalizeUsage(usage: UsageLike): NormalizedUsage {
  if (!usage || typeof usage !== 'object') throw invalidOption('usage', 'a usage object', usage);
  const written = count('cache_creation_input_tokens', usage.cache_creation_input_tokens);
  const oneHour = count(
    'cache_creation.ephemeral_1h_input_tokens',
    usage.cache_creation?.ephemeral_1h_input_tokens,
  );
  let fiveMinute = count(
    'cache_creation.ephemeral_5m_input_tokens',
    usage.cache_creation?.ephemeral_5m_input_tokens,
  );
  // The breakdown is authoritative when present; any tokens it does not
  // account for are billed at the default (5 minute) write price.
  if (fiveMinute + oneHour < written) fiveMinute = written - oneHour;
  const tier = usage.service_tier;
  return {
    inputTokens: count('input_tokens', usage.input_tokens),
    outputTokens: count('output_tokens', usage.output_tokens),
    cacheWrite5mTokens: fiveMinute,
    cacheWrite1hTokens: oneHour,
    cacheReadTokens: count('cache_read_input_tokens', usage.cache_read_input_tokens),
    serviceTier: tier === 'batch' || tier === 'priority' ? tier : 'standard',
  };
}

/** Tokens in the request's prompt: input + cache writes + cache reads. */
export function promptTokens(usage: NormalizedUsage): number {
  return (
    usage.inputTokens + usage.cacheWrite5mTokens + usage.cacheWrite1hTokens + usage.cacheReadTokens
  );
}

/** The price list that applies to one request (long-context prices once the prompt is over the threshold). */
export function pricesFor(model: ModelInfo, usage: NormalizedUsage): ModelPrices {
  const long = model.longContext;
  return long && promptTokens(usage) > long.thresholdTokens ? long.prices : model.prices;
}

/**
 * Prices one line item. Batch is 50% of the listed price; where that leaves
 * half a nano-USD (an odd product), the line item is rounded up, so every
 * breakdown is an exact integer and the fake API bills the same rule.
 */
function lineItem(tokens: number, price: number, batch: boolean): NanoUsd {
  const full = tokens * price;
  return batch ? Math.ceil(full / 2) : full;
}

/**
 * Exact cost of one API response, in nano-USD, from the API's `usage`.
 *
 * @example
 * costOf('claude-haiku-5-5', { input_tokens: 1000, output_tokens: 200 }).total === 200_000 // $0.0002
 */
export function costOf(
  model: string | ModelInfo,
  usage: UsageLike | NormalizedUsage,
  options: CostOfOptions = {},
): CostBreakdown {
  const info = typeof model === 'string' ? (options.catalog ?? defaultCatalog).get(model) : model;
  const normalized = 'inputTokens' in usage ? usage : normalizeUsage(usage);
  const prices = pricesFor(info, normalized);
  const batch = normalized.serviceTier === 'batch';
  const input = lineItem(normalized.inputTokens, prices.input, batch);
  const output = lineItem(normalized.outputTokens, prices.output, batch);
  const cacheWrite =
    lineItem(normalized.cacheWrite5mTokens, prices.cacheWrite5m, batch) +
    lineItem(normalized.cacheWrite1hTokens, prices.cacheWrite1h, batch);
  const cacheRead = lineItem(normalized.cacheReadTokens, prices.cacheRead, batch);
  return { input, output, cacheWrite, cacheRead, total: input + output + cacheWrite + cacheRead };
}

/** A zero breakdown. */
export function zeroCost(): CostBreakdown {
  return { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, total: 0 };
}

/** Adds `b` into a copy of `a`. */
export function addCost(a: CostBreakdown, b: CostBreakdown): CostBreakdown {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    cacheRead: a.cacheRead + b.cacheRead,
    total: a.total + b.total,
  };
}
