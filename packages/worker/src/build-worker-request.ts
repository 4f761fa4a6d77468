import type { GatewayRequest, ModelInfo } from '@haiku-army/core';
import { SUBMIT_RESULT_TOOL } from './constants.js';
import { historyBreakpoints, withBreakpoint } from './internal/history-cache.js';
import type { MessageParam, SystemBlocks } from './internal/messages.js';
import type { ApiTool } from './tool.js';

/** A worker's state at the moment it makes a model call: what {@link buildWorkerRequest} turns into a request. */
export interface WorkerRequestState {
  /** The task's model, from the gateway's catalog (its id, tier and `minCacheableTokens` are used). */
  model: ModelInfo;
  /** `max_tokens` of the call: the task's `limits.maxOutputTokens`. */
  maxOutputTokens: number;
  /** The system blocks: the preamble, then the shared prefix with its `cache_control` breakpoint. */
  system: SystemBlocks;
  /** The API tools: the worker's, then the task's, then `submit_result`. */
  tools: readonly ApiTool[];
  /**
   * The conversation so far: the brief, then alternating assistant turns and
   * user replies (tool results, corrections); the last message is the user's.
   * Not changed: the request gets copies where it adds breakpoints.
   */
  messages: readonly MessageParam[];
  /**
   * This is the last call the worker may make: `submit_result` is forced
   * (`tool_choice`) and the history cache writes nothing new.
   * @default false
   */
  lastTurn?: boolean;
  /**
   * Put a moving cache breakpoint on the newest turn of the history (and keep
   * the previous call's, so the read is exact), when it pays; see the README's
   * "Cached history".
   * @default true
   */
  cacheHistory?: boolean;
}

/**
 * Turns a worker's state into the `GatewayRequest` of its next model call,
 * exactly as the worker loop sends it. A router, a batch-collecting gateway
 * or a journal can build (or rebuild, for a replay) the same request without
 * running the worker loop.
 *
 * The request holds the tools and system (the shared, cached prefix), then
 * the messages. With `cacheHistory`, at most two history breakpoints are
 * added (within the API's four per request, counting the shared prefix's):
 * one on the newest message, written by this call and read by the next, and
 * one on the newest message of the call before, read by this one.
 *
 * @example
 * const request = buildWorkerRequest({
 *   model: gateway.catalog.get('claude-haiku-5-5'),
 *   maxOutputTokens: 4096,
 *   system: [{ type: 'text', text: DEFAULT_WORKER_PREAMBLE }],
 *   tools: tools.map((tool) => tool.toApiTool()),
 *   messages: [{ role: 'user', content: renderBrief(brief, { summaryTokenCap: 300 }) }],
 * });
 * const response = await gateway.call(request, attribution);
 */
export function buildWorkerRequest(state: WorkerRequestState): GatewayRequest {
  const { model, maxOutputTokens, system, tools } = state;
  const lastTurn = state.lastTurn ?? false;
  const marks =
    (state.cacheHistory ?? true)
      ? new Set(historyBreakpoints({ model, system, tools, messages: state.messages, lastTurn }))
      : new Set<number>();
  const messages = state.messages.map((message, index) =>
    marks.has(index) ? withBreakpoint(message) : message,
  );
  return {
    model: model.id,
    max_tokens: maxOutputTokens,
    system: [...system],
    tools: [...tools],
    messages,
    ...(lastTurn ? { tool_choice: { type: 'tool' as const, name: SUBMIT_RESULT_TOOL } } : {}),
  };
}
