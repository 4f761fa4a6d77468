import type { Reservation } from '../budget.js';
import {
  AbortError,
  ArmyError,
  ERROR_CODES,
  invalidOption,
  type LedgerStoreError,
} from '../errors.js';
import type { BatchRequestCounts } from '../events.js';
import { type BatchContext, sleep, withRetries } from './batch-api.js';
import { collectResults, type ResultSink, type TrackedRequest } from './batch-results.js';
import {
  type BatchOutcome,
  type BatchResult,
  type BatchRun,
  DEFAULT_BATCH_MAX_POLL_INTERVAL_MS,
  DEFAULT_BATCH_POLL_INTERVAL_MS,
  type ResumeBatchOptions,
} from './batch-types.js';
import { EventBuffer } from './gateway-stream.js';

export function positiveInteger(
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

export function pollSettings(options: ResumeBatchOptions) {
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

/**
 * Candidate batches a reconciliation adopted for one chunk: its results are
 * matched by custom id and what none held was never sent. `foreign`: found
 * by a new process (`reconcileBatch`), so possibly someone else's batch: it
 * is never cancelled and no reservation is held for it on abort.
 */
export interface BatchGroup {
  remaining: number;
  batchIds: readonly string[];
  foreign?: boolean;
}

/** One `batch()` or `resumeBatch()` call in progress. */
export class BatchCall {
  readonly batchIds: string[] = [];
  readonly #context: BatchContext;
  readonly #held: Map<string, Reservation>;
  readonly #buffer = new EventBuffer<BatchOutcome>();
  readonly #outcomes: BatchOutcome[] = [];
  readonly #counts = zeroCounts();
  readonly #storeErrors: LedgerStoreError[] = [];
  readonly #pending = new Map<string, Map<string, TrackedRequest>>();
  /** Batches adopted by reconciliation, by id: the group of candidates sharing one chunk. */
  readonly #adopted = new Map<string, BatchGroup>();
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
  track(batchId: string, requests: Map<string, TrackedRequest>, group?: BatchGroup): void {
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
    this.unsent(
      requests,
      (customId) =>
        `The batch create for "${customId}" was lost on the wire; no batch created since then returned a result for it, so it was never submitted. Retry it.`,
    );
  }

  /** Ends each request not done yet as `not_submitted` (never sent: retry it), releasing its reservation. */
  unsent(requests: Map<string, TrackedRequest>, why: (customId: string) => string): void {
    for (const tracked of requests.values()) {
      if (tracked.done) continue;
      tracked.done = true;
      tracked.reservation?.release();
      this.outcome({
        status: 'not_submitted',
        customId: tracked.customId,
        attribution: tracked.attribution,
        ...(tracked.request !== undefined ? { request: tracked.request } : {}),
        error: new ArmyError(ERROR_CODES.API_UNAVAILABLE, why(tracked.customId)),
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
        .filter((batchId) => !this.#canceled.has(batchId) && !this.#adopted.get(batchId)?.foreign)
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
          if (!this.#pending.has(batchId)) continue; // its group's requests are all in
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
          // Every request of a reconciled chunk is in: its other candidates hold nothing of ours.
          const group = this.#adopted.get(batchId);
          if (group && [...requests.values()].every((tracked) => tracked.done))
            for (const other of group.batchIds) this.#pending.delete(other);
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
      const foreign = this.#adopted.get(batchId)?.foreign === true;
      for (const tracked of requests.values()) {
        if (tracked.done || !tracked.reservation) continue;
        // A new process's reconcile is found again by the next one (which reserves anew): hold nothing.
        if (foreign) {
          tracked.reservation.release();
          delete tracked.reservation;
        } else this.#held.set(`${batchId}/${tracked.customId}`, tracked.reservation);
      }
    }
    if (cancel) await this.#cancelPending(undefined, 1);
  }
}
