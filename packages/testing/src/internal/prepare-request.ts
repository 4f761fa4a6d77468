import type { ModelInfo } from '@haiku-army/core';
import type { MessageRequest } from '../wire-types.js';
import type { EngineState } from './engine-state.js';
import { layoutPrompt, type PromptLayout } from './prompt-blocks.js';
import { messageRequestSchema, parseRequest } from './request-schema.js';

/** A request that passed validation. */
export interface PreparedRequest {
  request: MessageRequest;
  model: ModelInfo;
  layout: PromptLayout;
}

/** Why a request was refused before reaching a model. */
export interface RequestProblem {
  status: 400 | 404;
  type: 'invalid_request_error' | 'not_found_error';
  message: string;
}

/**
 * Validates a Messages request the way the API does: body shape (400), the
 * model (404 when not in the catalog), `max_tokens` against the model's
 * maximum (400), the cache breakpoints (400 beyond four), and the prompt plus
 * `max_tokens` against the context window (400).
 */
export function prepareRequest(
  state: EngineState,
  body: unknown,
): PreparedRequest | RequestProblem {
  const parsed = parseRequest(messageRequestSchema, body);
  if (!parsed.ok) return { status: 400, type: 'invalid_request_error', message: parsed.message };
  const request = parsed.value;
  const model = state.catalog.find(request.model);
  if (!model) return { status: 404, type: 'not_found_error', message: `model: ${request.model}` };
  if (request.max_tokens > model.maxOutputTokens) {
    return {
      status: 400,
      type: 'invalid_request_error',
      message: `max_tokens: ${request.max_tokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model.id}`,
    };
  }
  const layout = layoutPrompt(request, model.id);
  if (typeof layout === 'string')
    return { status: 400, type: 'invalid_request_error', message: layout };
  if (layout.totalTokens + request.max_tokens > model.contextWindow) {
    return {
      status: 400,
      type: 'invalid_request_error',
      message: `input length and \`max_tokens\` exceed context limit: ${layout.totalTokens} + ${request.max_tokens} > ${model.contextWindow}, decrease input length or \`max_tokens\` and try again`,
    };
  }
  return { request, model, layout };
}

/** True when {@link prepareRequest} refused the request. */
export function isProblem(value: PreparedRequest | RequestProblem): value is RequestProblem {
  return 'status' in value;
}
