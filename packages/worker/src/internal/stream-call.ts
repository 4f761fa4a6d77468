import {
  AbortError,
  type Attribution,
  type CallOptions,
  costOf,
  estimateTextTokens,
  type GatewayRequest,
  type GatewayResponse,
  type GatewayStreamEvent,
  type ModelGateway,
  type ModelInfo,
  type UsageLike,
} from '@haiku-army/core';
import { linkedController } from './abort.js';
import { Stop } from './run-outcome.js';

/** What {@link streamCall} needs besides the request. */
export interface StreamCallOptions {
  gateway: ModelGateway;
  attribution: Attribution;
  model: ModelInfo;
  /** The gateway's per-call options; `signal` is the run's (the stream gets one linked to it). */
  callOptions: CallOptions & { signal: AbortSignal };
  /**
   * The cost guard: nano-USD this call may cost before it is stopped (what
   * is left of the worker's `limits.maxCost`), with the cap and the spend
   * before the call for the stop's reason. Undefined: no guard.
   */
  guard?: { remaining: number; maxCost: number; spent: number };
  /** Called once, when the response has begun (`message_start`). */
  onResponseStart?(): void;
}

/** Text and JSON received so far, with a running output-token count. */
class RunningOutput {
  text = '';
  /** Exact `estimateTextTokens(text)` as of `counted` characters. */
  #exact = 0;
  #counted = 0;
  /** An upper bound on `estimateTextTokens(text)`: the exact count plus each later piece's own count. */
  #upper = 0;

  add(piece: string): void {
    this.text += piece;
    // The estimate rounds up per call, so counting pieces apart never undercounts.
    this.#upper += estimateTextTokens(piece);
  }

  /** An upper bound, cheap to keep. */
  get upperBound(): number {
    return this.#upper;
  }

  /** The exact estimate of everything received (recounted only when asked). */
  exact(): number {
    if (this.#counted !== this.text.length) {
      this.#exact = estimateTextTokens(this.text);
      this.#counted = this.text.length;
      this.#upper = this.#exact;
    }
    return this.#exact;
  }

  reset(): void {
    this.text = '';
    this.#exact = 0;
    this.#counted = 0;
    this.#upper = 0;
  }
}

function deltaText(event: GatewayStreamEvent): string | undefined {
  if (event.type !== 'content_block_delta') return undefined;
  const delta = event.delta;
  switch (delta.type) {
    case 'text_delta':
      return delta.text;
    case 'input_json_delta':
      return delta.partial_json;
    case 'thinking_delta':
      return delta.thinking;
    default:
      return undefined;
  }
}

/**
 * Sends one call through `gateway.stream`. With a guard, the running cost
 * (the input priced from `message_start`'s usage, plus the output tokens
 * counted so far with core's `estimateTextTokens` on the text and JSON
 * deltas, at the model's prices) is checked on every delta; once it would
 * pass `guard.remaining` the stream is aborted and a MAX_COST Stop thrown,
 * carrying the partial text as its summary and the gateway's abort error
 * (which, per core's contract, carries the call's estimated ledger entry as
 * `error.entry`). A `retry` event restarts the count: the new attempt begins
 * from scratch.
 */
export async function streamCall(
  request: GatewayRequest,
  options: StreamCallOptions,
): Promise<GatewayResponse> {
  const { gateway, attribution, model, guard } = options;
  const { controller, dispose } = linkedController(options.callOptions.signal);
  const stream = gateway.stream(request, attribution, {
    ...options.callOptions,
    signal: controller.signal,
  });
  const output = new RunningOutput();
  let text = '';
  let inputUsage: UsageLike | undefined;
  let stop: Stop | undefined;
  const costWith = (tokens: number) =>
    costOf(model, { ...(inputUsage ?? {}), output_tokens: tokens }).total;
  try {
    for await (const event of stream) {
      if (event.type === 'retry') {
        output.reset();
        text = '';
        inputUsage = undefined;
        continue;
      }
      if (event.type === 'message_start') {
        inputUsage = event.message.usage;
        options.onResponseStart?.();
      }
      const piece = deltaText(event);
      if (piece !== undefined) {
        output.add(piece);
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          text += piece;
      }
      if (!guard || inputUsage === undefined) continue;
      if (costWith(output.upperBound) <= guard.remaining) continue;
      const tokens = output.exact();
      const cost = costWith(tokens);
      if (cost <= guard.remaining) continue;
      const inputCost = costWith(0);
      const reason =
        `Stopped the streamed call after about ${tokens} output tokens: its input (${inputCost} nano-USD) ` +
        `and output so far (${cost - inputCost} nano-USD) came to ${cost} nano-USD, more than the ${guard.remaining} ` +
        `left of the worker's maxCost of ${guard.maxCost} (${guard.spent} spent before this call). ` +
        'Raise limits.maxCost or lower limits.maxOutputTokens.';
      stop = new Stop('MAX_COST', reason, undefined, text.trim() ? text : undefined);
      controller.abort(new AbortError(reason));
      break;
    }
    // Settled by the stream when iteration ends: resolves when complete,
    // rejects with AbortError once this function aborted it.
    return await stream.result;
  } catch (error) {
    if (stop && error instanceof AbortError && !options.callOptions.signal.aborted)
      throw new Stop(stop.code, stop.reason, error, stop.summary);
    throw error;
  } finally {
    dispose();
  }
}
