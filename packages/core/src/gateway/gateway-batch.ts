import type { Attribution } from '../attribution.js';
import type { Reservation } from '../budget.js';
import {
  AbortError,
  ApiCallError,
  ArmyError,
  ERROR_CODES,
  invalidOption,
  type LedgerStoreError,
} from '../errors.js';
import type { BatchRequestCounts } from '../events.js';
import { type BatchContext, sleep, withRetries } from './batch-api.js';
import { reserveBatch } from './batch-budget.js';
import { chunkItems, type PlannedItem, planItems } from './batch-plan.js';
import { collectResults, type ResultSink, type TrackedRequest } from './batch-results.js';
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_REQUESTS,
  type BatchItem,
  type BatchOptions,
  type BatchOutcome,
  type BatchResult,
  type BatchRun,
  DEFAULT_BATCH_MAX_POLL_INTERVAL_MS,
  DEFAULT_BATCH_POLL_INTERVAL_MS,
  type ResumeBatchOptions,
} from './batch-types.js';
import { EventBuffer } from './gateway-stream.js';

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw invalidOption(name, 'an integer >= 1', value);
  return value;
}

function zeroCounts(): BatchResult['counts'] {
  return { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, not_submitted: 0 };
}

function pollSettings(options: ResumeBatchOptions) {
  const pollIntervalMs = positiveInteger(
    'pollIntervalMs',
    options.pollIntervalMs,
    DEFAULT_BATCH_POLL_INTERVAL_MS,
  );
  const maxPollIntervalMs = positiveInteger(
    'maxPollIntervalMs',
    options.maxPollIntervalMs,
    Math.max(pollIntervalMs, DEFAULT_BATCH_MAX_POLL_INTERVAL_MS),
  );
  if (maxPollIntervalMs < pollIntervalMs)
    throw invalidOption(
      'maxPollIntervalMs',
      `at least pollIntervalMs (${pollIntervalMs})`,
      maxPollIntervalMs,
    );
  if (options.deadlineMs !== undefined && !(options.deadlineMs >= 0))
    throw invalidOption('deadlineMs', 'a number of ms >= 0', options.deadlineMs);
  return { pollIntervalMs, maxPollIntervalMs, deadlineMs: options.deadlineMs };
}

/** One `batch()` or `resumeBatch()` call in progress. */
class BatchCall {
  readonly batchIds: string[] = [];
  readonly #context: BatchContext;
  readonly #held: Map<string, Reservation>;
  readonly #buffer = new EventBuffer<BatchOutcome>();
  readonly #outcomes: BatchOutcome[] = [];
  readonly #counts = zeroCounts();
  readonly #storeErrors: LedgerStoreError[] = [];
  readonly #pending = new Map<string, Map<string, TrackedRequest>>();
  readonly #started: number;
  #cost = 0;
  #deadlineReached = false;

  constructor(context: BatchContext, held: Map<string, Reservation>) {
    this.#context = context;
    this.#held = held;
    this.#started = context.now();
  }

  outcome(outcome: BatchOutcome): void {
    this.#counts[outcome.status] += 1;
    this.#outcomes.push(outcome);
    this.#buffer.push(outcome);
  }

  /** Starts `work`, then polls every pending batch to its end; wires up the iterable. */
  start(work: (call: BatchCall) => Promise<void>, options: ResumeBatchOptions): BatchRun {
    const settings = pollSettings(options);
    const result = (async (): Promise<BatchResult> => {
      try {
        await work(this);
      } catch (error) {
        await this.#abandon(error instanceof AbortError);
        throw error;
      }
      await this.#poll(settings, options.signal);
      const [storeError] = this.#storeErrors;
      if (storeError) throw storeError;
      return {
        batchIds: [...this.batchIds],
        outcomes: this.#outcomes,
        counts: { ...this.#counts },
        cost: this.#cost,
        deadlineReached: this.#deadlineReached,
      };
    })();
    result.then(
      () => this.#buffer.end(),
      (error) => this.#buffer.end(error),
    );
    result.catch(() => {});
    return {
      result,
      batchIds: this.batchIds,
      [Symbol.asyncIterator]: () => this.#buffer[Symbol.asyncIterator](),
    };
  }

  /** Registers a batch to wait for. */
  track(batchId: string, requests: Map<string, TrackedRequest>): void {
    this.batchIds.push(batchId);
    this.#pending.set(batchId, requests);
  }

  #sink(): ResultSink {
    return {
      outcome: (outcome) => this.outcome(outcome),
      unknown: (customId) => ({
        customId,
        // A result this run has no attribution for is still billed: record it under its id.
        attribution: { runId: 'unattributed', taskId: customId, role: 'batch' },
        done: false,
      }),
      storeError: (error) => this.#storeErrors.push(error),
      started: this.#started,
    };
  }

  async #cancelPending(signal: AbortSignal | undefined, maxAttempts?: number): Promise<void> {
    await Promise.all(
      [...this.#pending.keys()].map((batchId) =>
        withRetries(
          this.#context,
          (requestOptions) =>
            this.#context.client.messages.batches.cancel(batchId, {}, requestOptions),
          { signal, ...(maxAttempts !== undefined ? { maxAttempts } : {}) },
        ).catch(() => {}),
      ),
    );
  }

  async #poll(
    settings: ReturnType<typeof pollSettings>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const context = this.#context;
    let interval = settings.pollIntervalMs;
    try {
      while (this.#pending.size > 0) {
        for (const [batchId, requests] of [...this.#pending]) {
          const batch = await withRetries(
            context,
            (requestOptions) =>
              context.client.messages.batches.retrieve(batchId, {}, requestOptions),
            { signal },
          );
          const requestCounts: BatchRequestCounts = { ...batch.request_counts };
          context.events.emit('batch:progress', {
            batchId,
            status: batch.processing_status,
            requestCounts,
          });
          if (batch.processing_status !== 'ended') continue;
          const cost = await collectResults(context, batchId, requests, this.#sink(), signal);
          this.#cost += cost;
          this.#pending.delete(batchId);
          context.events.emit('batch:ended', {
            batchId,
            requestCounts,
            cost,
            canceled: this.#deadlineReached || batch.cancel_initiated_at !== null,
          });
        }
        if (this.#pending.size === 0) break;
        let wait = interval;
        if (settings.deadlineMs !== undefined && !this.#deadlineReached) {
          const left = this.#started + settings.deadlineMs - context.now();
          if (left <= 0) {
            this.#deadlineReached = true;
            await this.#cancelPending(signal);
            continue; // the API may end a cancelled batch at once
          }
          wait = Math.min(wait, left);
        }
        await sleep(wait, signal);
        interval = Math.min(settings.maxPollIntervalMs, Math.ceil(interval * 1.5));
      }
    } catch (error) {
      await this.#abandon(error instanceof AbortError);
      throw error;
    }
  }

  /**
   * Stops waiting (an abort, or the API failing through every retry). The
   * API may still bill what it processed, so the reservations of results not
   * collected stay held until `resumeBatch` collects them. On abort the
   * pending batches are also cancelled (one attempt each).
   */
  async #abandon(cancel: boolean): Promise<void> {
    for (const [batchId, requests] of this.#pending) {
      for (const tracked of requests.values()) {
        if (!tracked.done && tracked.reservation)
          this.#held.set(`${batchId}/${tracked.customId}`, tracked.reservation);
      }
    }
    if (cancel) await this.#cancelPending(undefined, 1);
  }
}

/**
 * Sends Message Batches for a gateway: validates and reserves everything up
 * front, submits in chunks within the API's limits, polls with backoff and
 * records each succeeded request at the batch tier. Kept apart from the
 * interactive path so `Gateway` only delegates.
 */
export class BatchRunner {
  readonly #context: BatchContext;
  /** Reservations of requests whose batch was left on abort, by `batchId/customId`. */
  readonly #held = new Map<string, Reservation>();

  constructor(context: BatchContext) {
    this.#context = context;
  }

  /** See `Gateway.batch`. Throws before sending anything on bad input or a budget that is too small. */
  run(items: readonly BatchItem[], options: BatchOptions = {}): BatchRun {
    const context = this.#context;
    const planned = planItems(items, context.catalog);
    const chunks = chunkItems(planned, {
      maxRequests: positiveInteger(
        'maxRequestsPerBatch',
        options.maxRequestsPerBatch,
        BATCH_MAX_REQUESTS,
      ),
      maxBytes: positiveInteger('maxBatchBytes', options.maxBatchBytes, BATCH_MAX_BYTES),
    });
    pollSettings(options);
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    const reservations = reserveBatch(context.budget, planned, context.worstCase);
    const call = new BatchCall(context, this.#held);
    return call.start(async () => {
      for (const [index, chunk] of chunks.entries()) {
        try {
          await this.#submit(call, chunk, reservations, index, chunks.length, options);
        } catch (error) {
          // Aborted mid-way: the chunks never sent give their reservations back.
          for (const later of chunks.slice(index + 1))
            for (const item of later) reservations.get(item)?.release();
          throw error;
        }
      }
    }, options);
  }

  /** See `Gateway.resumeBatch`. */
  resume(
    batchId: string,
    attributionsByCustomId:
      | Readonly<Record<string, Attribution>>
      | ReadonlyMap<string, Attribution>,
    options: ResumeBatchOptions = {},
  ): BatchRun {
    if (typeof batchId !== 'string' || batchId.length === 0)
      throw invalidOption('batchId', 'a Message Batch id such as "msgbatch_..."', batchId);
    const entries =
      attributionsByCustomId instanceof Map
        ? [...attributionsByCustomId.entries()]
        : Object.entries(attributionsByCustomId ?? {});
    const requests = new Map<string, TrackedRequest>();
    for (const [customId, attribution] of entries) {
      const reservation = this.#held.get(`${batchId}/${customId}`);
      this.#held.delete(`${batchId}/${customId}`);
      requests.set(customId, {
        customId,
        attribution,
        done: false,
        ...(reservation ? { reservation } : {}),
      });
    }
    const call = new BatchCall(this.#context, this.#held);
    return call.start(async () => {
      try {
        await withRetries(
          this.#context,
          (requestOptions) =>
            this.#context.client.messages.batches.retrieve(batchId, {}, requestOptions),
          { signal: options.signal },
        );
      } catch (error) {
        if (error instanceof ApiCallError && error.status === 404) {
          throw new ArmyError(
            ERROR_CODES.BATCH_NOT_FOUND,
            `The API has no Message Batch "${batchId}" (404); pass an id that onSubmitted or batch:submitted reported for this API key and workspace.`,
            { cause: error },
          );
        }
        throw error;
      }
      call.track(batchId, requests);
    }, options);
  }

  async #submit(
    call: BatchCall,
    chunk: readonly PlannedItem[],
    reservations: Map<PlannedItem, Reservation>,
    index: number,
    chunks: number,
    options: BatchOptions,
  ): Promise<void> {
    const context = this.#context;
    let batchId: string;
    try {
      const batch = await withRetries(
        context,
        (requestOptions) =>
          context.client.messages.batches.create(
            { requests: chunk.map((item) => ({ custom_id: item.customId, params: item.request })) },
            requestOptions,
          ),
        { signal: options.signal, retryWithoutStatus: false },
      );
      batchId = batch.id;
    } catch (error) {
      for (const item of chunk) {
        reservations.get(item)?.release();
        if (!(error instanceof AbortError)) {
          call.outcome({
            status: 'not_submitted',
            customId: item.customId,
            attribution: item.attribution,
            request: item.request,
            error:
              error instanceof ArmyError
                ? error
                : new ArmyError(ERROR_CODES.API_UNAVAILABLE, String(error)),
          });
        }
      }
      if (error instanceof AbortError) throw error;
      return;
    }
    const requests = new Map<string, TrackedRequest>();
    const attributions: Record<string, Attribution> = {};
    for (const item of chunk) {
      const reservation = reservations.get(item);
      requests.set(item.customId, {
        customId: item.customId,
        attribution: item.attribution,
        request: item.request,
        model: item.model,
        done: false,
        ...(reservation ? { reservation } : {}),
      });
      attributions[item.customId] = item.attribution;
    }
    call.track(batchId, requests);
    context.events.emit('batch:submitted', {
      batchId,
      requests: chunk.length,
      chunk: index,
      chunks,
    });
    try {
      await options.onSubmitted?.({ batchId, customIds: Object.keys(attributions), attributions });
    } catch {
      // The batch is submitted and paid for either way; persisting is the caller's job.
    }
  }
}
