import type { ModelInfo, ModelPrices } from '../catalog/model-info.js';
import type { UsageLike } from '../cost.js';
import { FrozenMemo } from '../internal/frozen-memo.js';
import type { NanoUsd } from '../money.js';
import { type BoundableRequest, inputBound } from './input-bound.js';

/** The parts of a request that decide its worst-case cost. */
export interface PriceableRequest extends BoundableRequest {
  max_tokens: number;
}

/**
 * An upper bound on a request's input tokens (see {@link inputBound}): the
 * UTF-8 size of its prompt as JSON, with images at their allowance and an
 * allowance for the tool prompt. Does not cover documents or server tools.
 */
export function inputTokensUpperBound(request: PriceableRequest): number {
  return inputBound(request).tokens;
}

/** The prices a request is billed at when its prompt is `inputTokens` long. */
export function pricesForInput(model: ModelInfo, inputTokens: number): ModelPrices {
  const long = model.longContext;
  return long && inputTokens > long.thresholdTokens ? long.prices : model.prices;
}

type InputField = 'input' | 'cacheWrite5m' | 'cacheWrite1h';

/** Bits of {@link cacheMarks}. */
const CACHE_CONTROL = 1;
const ONE_HOUR = 2;

/**
 * Whether a value holds a `cache_control` key anywhere (bit 1) and a
 * `ttl: "1h"` anywhere (bit 2). A structural walk, not a serialisation:
 * strings are leaves. Deep-frozen parts (the tools and system blocks a pool
 * sends with every call) are walked once.
 */
const cacheMarks: FrozenMemo<number> = new FrozenMemo((value) => {
  let marks = 0;
  if (Array.isArray(value)) {
    for (const item of value)
      if (item !== null && typeof item === 'object') marks |= cacheMarks.of(item);
    return marks;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (key === 'cache_control') marks |= CACHE_CONTROL;
    else if (key === 'ttl' && item === '1h') marks |= ONE_HOUR;
    if (item !== null && typeof item === 'object') marks |= cacheMarks.of(item);
  }
  return marks;
});

/** The dearest input-side line a request's input could be billed at. */
function dearestInput(request: PriceableRequest, prices: ModelPrices): InputField {
  let field: InputField = 'input';
  const marks = cacheMarks.of(request);
  if (marks & CACHE_CONTROL) {
    if (prices.cacheWrite5m > prices[field]) field = 'cacheWrite5m';
    if (marks & ONE_HOUR && prices.cacheWrite1h > prices[field]) field = 'cacheWrite1h';
  }
  return field;
}

/** nano-USD per input token at the dearest price a request's input could be billed at. */
export function inputPrice(
  model: ModelInfo,
  request: PriceableRequest,
  inputTokens: number,
): NanoUsd {
  const prices = pricesForInput(model, inputTokens);
  return prices[dearestInput(request, prices)];
}

/**
 * The most a request can cost: every input token at the dearest input-side
 * price it could be billed at (a cache write when it has `cache_control`),
 * `max_tokens` of output, at long-context prices when the prompt may cross
 * the threshold. Reserved against the budget before the call is sent.
 */
export function worstCaseCost(
  model: ModelInfo,
  request: PriceableRequest,
  inputTokens: number = inputTokensUpperBound(request),
): NanoUsd {
  const prices = pricesForInput(model, inputTokens);
  return inputTokens * inputPrice(model, request, inputTokens) + request.max_tokens * prices.output;
}

/**
 * A usage that `costOf` prices at exactly {@link worstCaseCost}: what the
 * ledger records for an attempt the API may have billed without the usage
 * ever arriving (`maybe_billed`).
 */
export function worstCaseUsage(
  model: ModelInfo,
  request: PriceableRequest,
  inputTokens: number,
): UsageLike {
  const field = dearestInput(request, pricesForInput(model, inputTokens));
  const usage: UsageLike = { output_tokens: request.max_tokens };
  if (field === 'input') usage.input_tokens = inputTokens;
  else {
    usage.input_tokens = 0;
    usage.cache_creation_input_tokens = inputTokens;
    usage.cache_creation =
      field === 'cacheWrite1h'
        ? { ephemeral_1h_input_tokens: inputTokens, ephemeral_5m_input_tokens: 0 }
        : { ephemeral_5m_input_tokens: inputTokens, ephemeral_1h_input_tokens: 0 };
  }
  return usage;
}
