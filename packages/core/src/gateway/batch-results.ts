import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import type { Attribution } from '../attribution.js';
import type { Reservation } from '../budget.js';
import type { ModelInfo } from '../catalog/model-info.js';
import { type NormalizedUsage, normalizeUsage } from '../cost.js';
import { LedgerStoreError } from '../errors.js';
import type { LedgerEntry, LedgerOutcome } from '../ledger/ledger-entry.js';
import { type BatchContext, withRetries } from './batch-api.js';
import type { BatchOutcome } from './batch-types.js';
import type { GatewayRequest } from './gateway.js';

/** One request the runner waits for. */
export interface TrackedRequest {
  customId: string;
  attribution: Attribution;
  /** Known when this process submitted it. */
  request?: GatewayRequest;
  /** The model to price with; when unknown (resume), the result message's model. */
  model?: ModelInfo;
  /** Its worst case, held in the budget until its result is collected. */
  reservation?: Reservation;
  done: boolean;
}

/** Where collected outcomes go. */
export interface ResultSink {
  outcome(outcome: BatchOutcome): void;
  /** A result whose custom id this run does not know (resume with a partial map). */
  unknown(customId: string): TrackedRequest;
  storeError(error: LedgerStoreError): void;
  /** When the run started, for the entries' latency. */
  started: number;
}

function outcomeOf(message: Message): LedgerOutcome {
  if (message.stop_reason === 'max_tokens') return 'max_tokens';
  if (message.stop_reason === 'refusal') return 'refusal';
  return 'success';
}

/** Records a succeeded request at the batch tier and settles its budget. */
function recordSucceeded(
  context: BatchContext,
  batchId: string,
  tracked: TrackedRequest,
  message: Message,
  sink: ResultSink,
): BatchOutcome {
  const model = tracked.model ?? context.catalog.get(message.model);
  // A batch result is billed at the batch tier whatever its usage says.
  const usage: NormalizedUsage = { ...normalizeUsage(message.usage), serviceTier: 'batch' };
  let entry: LedgerEntry;
  try {
    entry = context.ledger.record({
      attribution: tracked.attribution,
      model,
      usage,
      latencyMs: context.now() - sink.started,
      outcome: outcomeOf(message),
      batchId,
      customId: tracked.customId,
    });
  } catch (error) {
    if (!(error instanceof LedgerStoreError)) throw error;
    sink.storeError(error);
    entry = error.entry;
  } finally {
    tracked.done = true;
  }
  if (tracked.reservation) tracked.reservation.settle(entry.cost.total);
  else {
    // Collected without a reservation (resumed in a new process): count it all the same.
    context.budget?.charge({
      runId: tracked.attribution.runId,
      taskId: tracked.attribution.taskId,
      amount: entry.cost.total,
    });
  }
  return {
    status: 'succeeded',
    customId: tracked.customId,
    attribution: tracked.attribution,
    batchId,
    message,
    entry,
    cost: entry.cost,
  };
}

function failed(
  batchId: string,
  tracked: TrackedRequest,
  status: 'errored' | 'expired' | 'canceled',
  error?: { type: string; message: string },
): BatchOutcome {
  tracked.done = true;
  tracked.reservation?.release();
  return {
    status,
    customId: tracked.customId,
    attribution: tracked.attribution,
    batchId,
    ...(tracked.request !== undefined ? { request: tracked.request } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

function handleLine(
  context: BatchContext,
  batchId: string,
  line: MessageBatchIndividualResponse,
  requests: Map<string, TrackedRequest>,
  sink: ResultSink,
  strict: boolean,
): number {
  let tracked = requests.get(line.custom_id);
  // A batch adopted by reconciliation may be someone else's: only its lines we sent count.
  if (!tracked && strict) return 0;
  if (!tracked) {
    tracked = sink.unknown(line.custom_id);
    requests.set(line.custom_id, tracked);
  }
  if (tracked.done) return 0; // seen on an earlier, interrupted read of the results
  const result = line.result;
  const recorded = context.ledger.batchEntry(batchId, line.custom_id);
  if (recorded) {
    // Collected before (this process, or an earlier one whose ledger was loaded): never twice.
    tracked.done = true;
    tracked.reservation?.release();
    if (result.type === 'succeeded')
      sink.outcome({
        status: 'succeeded',
        customId: tracked.customId,
        attribution: tracked.attribution,
        batchId,
        message: result.message,
        entry: recorded,
        cost: recorded.cost,
        alreadyRecorded: true,
      });
    return 0;
  }
  if (result.type === 'succeeded') {
    const outcome = recordSucceeded(context, batchId, tracked, result.message, sink);
    sink.outcome(outcome);
    return outcome.status === 'succeeded' ? outcome.cost.total : 0;
  }
  if (result.type === 'errored') {
    const inner = (result.error as { error?: { type?: string; message?: string } }).error;
    sink.outcome(
      failed(batchId, tracked, 'errored', {
        type: inner?.type ?? 'api_error',
        message: inner?.message ?? 'The request errored.',
      }),
    );
  } else {
    sink.outcome(failed(batchId, tracked, result.type));
  }
  return 0;
}

/**
 * Reads an ended batch's results (the SDK fetches the absolute
 * `results_url`) and records each: succeeded requests in the ledger at the
 * batch tier, settled in the budget; the rest released. A read cut half-way
 * is retried and lines already handled are skipped. Returns the cost of the
 * succeeded requests.
 */
export async function collectResults(
  context: BatchContext,
  batchId: string,
  requests: Map<string, TrackedRequest>,
  sink: ResultSink,
  signal: AbortSignal | undefined,
  /** The batch was adopted by reconciliation: ignore foreign lines, leave missing ones pending. */
  strict = false,
): Promise<number> {
  let cost = 0;
  await withRetries(
    context,
    async (requestOptions) => {
      const decoder = await context.client.messages.batches.results(batchId, {}, requestOptions);
      for await (const line of decoder)
        cost += handleLine(context, batchId, line, requests, sink, strict);
    },
    { signal },
  );
  if (strict) return cost;
  for (const tracked of requests.values()) {
    if (!tracked.done) {
      sink.outcome(
        failed(batchId, tracked, 'errored', {
          type: 'missing_result',
          message: `Batch ${batchId} ended without a result for "${tracked.customId}".`,
        }),
      );
    }
  }
  return cost;
}
