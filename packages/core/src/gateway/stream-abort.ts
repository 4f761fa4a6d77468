import type { Usage } from '@anthropic-ai/sdk/resources/messages/messages';
import type { Attribution } from '../attribution.js';
import type { Reservation } from '../budget.js';
import type { ModelInfo } from '../catalog/model-info.js';
import { costOf, type NormalizedUsage, normalizeUsage } from '../cost.js';
import { AbortError, LedgerStoreError } from '../errors.js';
import type { ArmyEvents } from '../events.js';
import type { CostLedger } from '../ledger/cost-ledger.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import { estimateTextTokens } from '../token-estimate.js';
import type { GatewayStreamEvent } from './gateway-stream.js';

/**
 * Watches one streaming attempt so that, if the caller aborts it after the
 * response began, the gateway knows what the API is billing: the input and
 * cache usage from `message_start` (exact), and the output so far (counted
 * from the deltas received with `estimateTextTokens`, or the API's own
 * running count from `message_delta` when one arrived and is larger).
 */
export class StreamUsageTracker {
  #start: Usage | undefined;
  #text = '';
  #reportedOutput = 0;

  /** Forgets the attempt: a new one starts from scratch. */
  reset(): void {
    this.#start = undefined;
    this.#text = '';
    this.#reportedOutput = 0;
  }

  observe(event: GatewayStreamEvent): void {
    switch (event.type) {
      case 'message_start':
        this.reset();
        this.#start = event.message.usage;
        this.#reportedOutput = event.message.usage.output_tokens ?? 0;
        break;
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') this.#text += event.content_block.name;
        break;
      case 'content_block_delta': {
        const delta = event.delta as { text?: string; partial_json?: string; thinking?: string };
        this.#text += delta.text ?? delta.partial_json ?? delta.thinking ?? '';
        break;
      }
      case 'message_delta':
        this.#reportedOutput = Math.max(this.#reportedOutput, event.usage.output_tokens ?? 0);
        break;
      default:
        break;
    }
  }

  /** The usage known so far, or undefined before `message_start` (nothing billed yet). */
  usage(model: ModelInfo): NormalizedUsage | undefined {
    if (!this.#start) return undefined;
    const known = normalizeUsage(this.#start);
    return {
      ...known,
      outputTokens: Math.max(this.#reportedOutput, estimateTextTokens(this.#text, model.tier)),
    };
  }
}

/** What {@link recordAbortedStream} needs. */
export interface AbortedStreamInput {
  ledger: CostLedger;
  events: ArmyEvents;
  reservation: Reservation | undefined;
  model: ModelInfo;
  maxTokens: number;
  attribution: Attribution;
  usage: NormalizedUsage;
  attempts: number;
  latencyMs: number;
  cause: unknown;
}

/**
 * Records a stream aborted after it began: a ledger entry marked
 * `estimated`, the budget settled at the input it reported plus `max_tokens`
 * of output (the API never bills more output than `max_tokens`, so the
 * settlement cannot be below the bill), `call:end` with outcome `aborted`.
 * Returns the AbortError to throw, carrying the entry, or the
 * LedgerStoreError when the store failed to write it (the entry is in
 * memory and on the error, as on the normal path).
 */
export function recordAbortedStream(input: AbortedStreamInput): AbortError | LedgerStoreError {
  const { model, attribution } = input;
  // The API never bills more output than max_tokens.
  const usage = {
    ...input.usage,
    outputTokens: Math.min(input.usage.outputTokens, input.maxTokens),
  };
  // What the budget settles at; kept on the entry so caps rebuilt from the ledger count it too.
  const bound = costOf(model, { ...usage, outputTokens: input.maxTokens }).total;
  let entry: LedgerEntry;
  let storeError: LedgerStoreError | undefined;
  try {
    entry = input.ledger.record({
      attribution,
      model,
      usage,
      latencyMs: input.latencyMs,
      retries: input.attempts - 1,
      outcome: 'aborted',
      estimated: true,
      reservedBound: bound,
    });
  } catch (error) {
    if (!(error instanceof LedgerStoreError)) throw error;
    // Surfaced as on the normal path: the entry travels with the error.
    storeError = error;
    entry = error.entry;
  } finally {
    input.reservation?.settle(bound);
  }
  const error =
    storeError ??
    new AbortError(
      'The stream was aborted after its response began; the API bills it, so it is in the ledger with an estimated usage (error.entry).',
      { cause: input.cause, entry },
    );
  input.events.emit('call:end', {
    attribution,
    model: model.id,
    outcome: 'aborted',
    attempts: input.attempts,
    latencyMs: input.latencyMs,
    usage: entry.usage,
    cost: entry.cost,
    entryId: entry.id,
    error,
  });
  return error;
}
