import type { ModelInfo } from '../catalog/model-info.js';
import type { NanoUsd } from '../money.js';

/** Extra input tokens the API adds when a request defines tools (its tool-use system prompt). */
const TOOL_PROMPT_ALLOWANCE = 1024;

/** The parts of a request that decide its worst-case cost. */
export interface PriceableRequest {
  max_tokens: number;
  system?: unknown;
  messages: readonly unknown[];
  tools?: readonly unknown[];
  tool_choice?: unknown;
  output_config?: unknown;
}

/**
 * An upper bound on a request's input tokens: the UTF-8 size of its prompt
 * as JSON. No tokenizer maps fewer than one byte to a token, so this never
 * undercounts text; tools get an allowance for the API's own tool prompt.
 */
export function inputTokensUpperBound(request: PriceableRequest): number {
  const prompt = {
    system: request.system,
    tools: request.tools,
    messages: request.messages,
    output: request.output_config,
  };
  const bytes = Buffer.byteLength(JSON.stringify(prompt), 'utf8');
  return bytes + (request.tools && request.tools.length > 0 ? TOOL_PROMPT_ALLOWANCE : 0);
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
  const long = model.longContext;
  const prices = long && inputTokens > long.thresholdTokens ? long.prices : model.prices;
  const text = JSON.stringify(request);
  let perInput = prices.input;
  if (text.includes('"cache_control"')) {
    perInput = Math.max(perInput, prices.cacheWrite5m);
    if (/"ttl"\s*:\s*"1h"/.test(text)) perInput = Math.max(perInput, prices.cacheWrite1h);
  }
  return inputTokens * perInput + request.max_tokens * prices.output;
}
