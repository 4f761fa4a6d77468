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
import {
  chunkItems,
  type PlannedItem,
  planItems,
  validateAttribution,
  validateCustomId,
} from './batch-plan.js';
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
import type { GatewayRequest } from './gateway.js';
import { EventBuffer } from './gateway-stream.js';

/** How far before a lost create's attempt reconciliation looks (clock skew with the API), ms. */
export const RECONCILE_SKEW_MS = 5 * 60_000;
/** Most batches reconciliation scans in the API's list (newest first). */
export const RECONCILE_MAX_SCAN = 1_000;

function positiveInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw invalidOption(
      name,
      max === Number.MAX_SAFE_INTEGER
        ? 'an integer >= 1'
        : `an integer from 1 to ${max} (the API's limit)`,
      value,
    );
  return value;
}

function zeroCounts(): BatchResult['counts'] {
  return {
    processing: 0,
    succeeded: 0,
    errored: 0,
    canceled: 0,
    expired: 0,
    not_submitted: 0,
    maybe_submitted: 0,
  };
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
  /** Batches adopted by reconciliation, by id: the group of candidates sharing one chunk. */
  readonly #adopted = new Map<string, { remaining: number }>();
  /** Batches whose cancel this call sent and the API accepted (cancel_initiated_at set). */
  readonly #canceled = new Set<string>();
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
  track(
    batchId: string,
    requests: Map<string, TrackedRequest>,
    group?: { remaining: number },
  ): void {
    this.batchIds.push(batchId);
    this.#pending.set(batchId, requests);
    if (group) this.#adopted.set(batchId, group);
  }

  /** After the last candidate of a reconciled chunk ended: what none of them held was never sent. */
  #settleAdopted(batchId: string, requests: Map<string, TrackedRequest>): void {
    const group = this.#adopted.get(batchId);
    if (!group) return;
    group.remaining -= 1;
    if (group.remaining > 0) return;
    for (const tracked of requests.values()) {
      if (tracked.done) continue;
      tracked.done = true;
      tracked.reservation?.release();
      this.outcome({
        status: 'not_submitted',
        customId: tracked.customId,
        attribution: tracked.attribution,
        ...(tracked.request !== undefined ? { request: tracked.request } : {}),
        error: new ArmyError(
          ERROR_CODES.API_UNAVAILABLE,
          `The batch create for "${tracked.customId}" was lost on the wire; no batch created since then returned a result for it, so it was never submitted. Retry it.`,
        ),
      });
    }
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

  /** Cancels the pending batches not cancelled yet; a failed cancel is retried on the next poll. */
  async #cancelPending(signal: AbortSignal | undefined, maxAttempts?: number): Promise<void> {
    await Promise.all(
      [...this.#pending.keys()]
        .filter((batchId) => !this.#canceled.has(batchId))
        .map((batchId) =>
          withRetries(
            this.#context,
            (requestOptions) =>
              this.#context.client.messages.batches.cancel(batchId, {}, requestOptions),
            { signal, ...(maxAttempts !== undefined ? { maxAttempts } : {}) },
          ).then(
            (batch) => {
              if (batch.cancel_initiated_at !== null) this.#canceled.add(batchId);
            },
            (error: unknown) => {
              if (error instanceof AbortError) throw error;
            },
          ),
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
          const cost = await collectResults(
            context,
            batchId,
            requests,
            this.#sink(),
            signal,
            this.#adopted.has(batchId),
          );
          this.#cost += cost;
          this.#pending.delete(batchId);
          this.#settleAdopted(batchId, requests);
          context.events.emit('batch:ended', {
            batchId,
            requestCounts,
            cost,
            canceled: this.#canceled.has(batchId),
          });
        }
        if (this.#pending.size === 0) break;
        let wait = interval;
        if (this.#deadlineReached) {
          // A cancel that failed at the deadline is tried again each poll.
          if ([...this.#pending.keys()].some((batchId) => !this.#canceled.has(batchId)))
            await this.#cancelPending(signal);
        } else if (settings.deadlineMs !== undefined) {
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
  /** Every batch id this gateway created or adopted (reconciliation skips them). */
  readonly #known = new Set<string>();

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
        BATCH_MAX_REQUESTS,
      ),
      maxBytes: positiveInteger(
        'maxBatchBytes',
        options.maxBatchBytes,
        BATCH_MAX_BYTES,
        BATCH_MAX_BYTES,
      ),
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
    pollSettings(options);
    const entries =
      attributionsByCustomId instanceof Map
        ? [...attributionsByCustomId.entries()]
        : Object.entries(attributionsByCustomId ?? {});
    const given = options.requestsByCustomId;
    const requestOf = (customId: string): GatewayRequest | undefined =>
      given instanceof Map
        ? given.get(customId)
        : given && Object.hasOwn(given, customId)
          ? (given as Record<string, GatewayRequest>)[customId]
          : undefined;
    const requests = new Map<string, TrackedRequest>();
    const toReserve: { request: GatewayRequest; attribution: Attribution; customId: string }[] = [];
    for (const [customId, attribution] of entries) {
      validateCustomId(`attributionsByCustomId["${customId}"]`, customId);
      validateAttribution(`attributionsByCustomId["${customId}"].attribution`, attribution);
      const key = `${batchId}/${customId}`;
      const reservation = this.#held.get(key);
      this.#held.delete(key);
      const request = requestOf(customId);
      const model = request ? this.#context.catalog.get(request.model) : undefined;
      requests.set(customId, {
        customId,
        attribution,
        done: false,
        ...(request ? { request } : {}),
        ...(model ? { model } : {}),
        ...(reservation ? { reservation } : {}),
      });
      if (!reservation && request) toReserve.push({ request, attribution, customId });
    }
    // A new process holds nothing: reserve what can be bounded before waiting.
    const reserved = reserveBatch(this.#context.budget, toReserve, this.#context.worstCase, true);
    for (const [wanted, reservation] of reserved) {
      const tracked = requests.get(wanted.customId);
      if (tracked) tracked.reservation = reservation;
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
    const attemptStart = context.now();
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
      const aborted = error instanceof AbortError;
      // An HTTP status means the API answered: no batch. A lost connection or
      // an abort mid-request may have created one, which the API bills.
      const uncertain = aborted || (error instanceof ApiCallError && error.status === undefined);
      if (uncertain) {
        await this.#reconcile(
          call,
          chunk,
          reservations,
          attemptStart,
          error,
          index,
          chunks,
          options,
        );
        return;
      }
      for (const item of chunk) {
        reservations.get(item)?.release();
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
      return;
    }
    this.#known.add(batchId);
    await this.#adopt(call, [batchId], chunk, reservations, index, chunks, options, false);
  }

  /**
   * A create whose fate is unknown: lists the API's batches created since the
   * attempt (less {@link RECONCILE_SKEW_MS}) with exactly this chunk's request
   * count that this gateway does not already know, and adopts them (their
   * results are matched by custom id; foreign lines are ignored). None found:
   * the items were never submitted and are released. The list fails: the
   * items come back `maybe_submitted` and their reservations stay held. On
   * abort, adopted batches are cancelled (one attempt) and kept for
   * `resumeBatch`, then the AbortError is rethrown.
   */
  async #reconcile(
    call: BatchCall,
    chunk: readonly PlannedItem[],
    reservations: Map<PlannedItem, Reservation>,
    attemptStart: number,
    cause: unknown,
    index: number,
    chunks: number,
    options: BatchOptions,
  ): Promise<void> {
    const context = this.#context;
    const aborted = cause instanceof AbortError;
    const cutoff = attemptStart - RECONCILE_SKEW_MS;
    let found: string[] | undefined;
    try {
      found = [];
      const page = await withRetries(
        context,
        (requestOptions) => context.client.messages.batches.list({ limit: 100 }, requestOptions),
        aborted ? { maxAttempts: 1 } : { signal: options.signal },
      );
      let scanned = 0;
      for await (const batch of page) {
        if (++scanned > RECONCILE_MAX_SCAN) break;
        const created = Date.parse(batch.created_at);
        if (created < cutoff) continue;
        const counts = batch.request_counts;
        const total =
          counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired;
        if (total === chunk.length && !this.#known.has(batch.id)) found.push(batch.id);
      }
    } catch {
      found = undefined;
    }
    if (found === undefined) {
      // Cannot tell: keep every reservation held (the API may bill these).
      for (const item of chunk) {
        call.outcome({
          status: 'maybe_submitted',
          customId: item.customId,
          attribution: item.attribution,
          request: item.request,
          error: new ArmyError(
            ERROR_CODES.API_UNAVAILABLE,
            `The batch create for "${item.customId}" was lost on the wire and the API's batches could not be listed to check; it may have been submitted and billed. Its reservation stays held; check client.messages.batches.list() before retrying it.`,
            { cause },
          ),
        });
      }
      if (aborted) throw cause;
      return;
    }
    if (found.length === 0) {
      for (const item of chunk) {
        reservations.get(item)?.release();
        if (!aborted)
          call.outcome({
            status: 'not_submitted',
            customId: item.customId,
            attribution: item.attribution,
            request: item.request,
            error:
              cause instanceof ArmyError
                ? cause
                : new ArmyError(ERROR_CODES.API_UNAVAILABLE, String(cause)),
          });
      }
      if (aborted) throw cause;
      return;
    }
    for (const id of found) this.#known.add(id);
    await this.#adopt(call, found, chunk, reservations, index, chunks, options, true);
    if (aborted) throw cause; // #abandon holds and cancels what was adopted
  }

  /** Tracks created (or reconciled) batches for one chunk and reports them. */
  async #adopt(
    call: BatchCall,
    batchIds: readonly string[],
    chunk: readonly PlannedItem[],
    reservations: Map<PlannedItem, Reservation>,
    index: number,
    chunks: number,
    options: BatchOptions,
    reconciled: boolean,
  ): Promise<void> {
    const context = this.#context;
    const requests = new Map<string, TrackedRequest>();
    const attributions: Record<string, Attribution> = Object.create(null);
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
    const group = reconciled ? { remaining: batchIds.length } : undefined;
    for (const batchId of batchIds) {
      call.track(batchId, requests, group);
      context.events.emit('batch:submitted', {
        batchId,
        requests: chunk.length,
        chunk: index,
        chunks,
      });
      try {
        await options.onSubmitted?.({
          batchId,
          customIds: Object.keys(attributions),
          attributions,
        });
      } catch {
        // The batch is submitted and paid for either way; persisting is the caller's job.
      }
    }
  }
}
