import { randomUUID } from 'node:crypto';
import {
  AbortError,
  ApiCallError,
  ArmyError,
  type Attribution,
  BatchBudgetExceededError,
  type BatchCreating,
  type BatchGateway,
  type BatchOptions,
  type BatchOutcome,
  type BatchRun,
  type BatchSubmission,
  ERROR_CODES,
  type GatewayRequest,
  type LedgerEntry,
  type ModelGateway,
} from '@haiku-army/core';
import { ORCHESTRATOR_ERROR_CODES } from '../errors.js';
import type { BatchCreatingRecord, BatchSubmittedRecord, RunRecorder } from '../run-recorder.js';
import type { TimelineEntry } from '../run-result.js';
import type { BatchWaiter } from './batch-waiter.js';

/** The run's gateway as the batch code needs it (RunGateway). */
export interface WaveTarget extends ModelGateway {
  recordCall(
    start: number,
    attribution: Attribution,
    model: string,
    outcome: TimelineEntry['outcome'],
    entry: LedgerEntry | undefined,
    journaled?: boolean,
  ): Promise<void>;
}

/** Options of {@link BatchWaves}. */
export interface BatchWavesOptions {
  runId: string;
  target: WaveTarget;
  batches: BatchGateway;
  recorder: RunRecorder;
  pollIntervalMs: number | undefined;
  deadlineAt: number | undefined;
  /** Whether a batch's journal record holds its requests. */
  journalRequests: boolean;
  /** Whether the run batches new calls (false: a resumed run's batches are only reattached). */
  batching: boolean;
  /** Every batch id a resumed run's journal holds (a lost create's reconciliation never takes one). */
  journaledBatchIds: readonly string[];
  now: () => number;
  signal: AbortSignal;
}

/** One batch being waited on: a wave this run sent, or a resumed run's batch. */
interface Flight {
  controller: AbortController;
  /** Whether a caller still waits on it, or its results are being collected. */
  wanted(): boolean;
  /** An outcome arrived: the batch ended and its results are being read (never stop that). */
  collecting: boolean;
  ended: boolean;
}

/** A resumed run's batch, reattached once for every request of it that is asked for. */
interface Reattached {
  /** A create whose batch was never recorded: found by reconciliation; what no batch held is sent again. */
  create: boolean;
  flight: Flight;
  /** Outcomes that arrived before their call, once recorded. */
  outcomes: Map<string, Promise<BatchOutcome>>;
  /** Calls waiting for an outcome. */
  waiters: Map<string, BatchWaiter>;
  /** Calls it handed back `canceled`, sent again in one new batch once it has ended. */
  again: BatchWaiter[];
  /** Set once its results are in (or it could not be reattached). */
  ended: boolean;
  error: unknown;
}

/**
 * Sends the collector's waves as Message Batches and turns each outcome
 * into its caller's response: a succeeded request is put on the timeline
 * and its entry handed to the recorder before the caller sees it; an
 * `errored`, `expired`, `canceled` or `not_submitted` request is retried
 * interactively (standard price); a `maybe_submitted` one is not retried
 * (it may be billed already: core's rule) and fails its call.
 */
export class BatchWaves {
  readonly stats = { waves: [] as number[], reattached: 0, interactive: 0, aheadRefused: 0 };
  readonly #options: BatchWavesOptions;
  readonly #flights = new Set<Flight>();
  readonly #reattached = new Map<string, Reattached>();
  readonly #work = new Set<Promise<unknown>>();
  /** The batch runs being iterated (a subset of the work). */
  readonly #consumers = new Set<Promise<unknown>>();
  /** Calls the budget could not reserve while batches were in flight (and why): sent again when one ends. */
  #deferred: { waiter: BatchWaiter; refusal: unknown }[] = [];
  /** Calls of resumed batches to send again, gathered for one wave (see #sendAgain). */
  readonly #again: BatchWaiter[] = [];

  constructor(options: BatchWavesOptions) {
    this.#options = options;
  }

  /** Whether the batch deadline has passed (nothing more is batched). */
  pastDeadline(): boolean {
    const { deadlineAt, now } = this.#options;
    return deadlineAt !== undefined && now() >= deadlineAt;
  }

  /** Keeps `work` until it settles, for {@link close}; `consumer`: it iterates a batch run. */
  #track(work: Promise<unknown>, consumer = false): void {
    const tracked = work.then(
      () => {},
      () => {},
    );
    this.#work.add(tracked);
    if (consumer) this.#consumers.add(tracked);
    void tracked.finally(() => {
      this.#work.delete(tracked);
      this.#consumers.delete(tracked);
    });
  }

  #flight(wanted: () => boolean): Flight {
    const controller = new AbortController();
    const flight: Flight = {
      controller,
      wanted: () => flight.collecting || wanted(),
      collecting: false,
      ended: false,
    };
    this.#flights.add(flight);
    return flight;
  }

  #pollOptions(flight: Flight): BatchOptions {
    const { pollIntervalMs, deadlineAt, now, signal } = this.#options;
    return {
      signal: AbortSignal.any([signal, flight.controller.signal]),
      ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
      ...(deadlineAt !== undefined ? { deadlineMs: Math.max(0, deadlineAt - now()) } : {}),
    };
  }

  /**
   * Sends one wave as a batch (interactively once the deadline has passed).
   * Requests a run-wide cap cannot reserve now wait for a batch in flight
   * to end (its reservations settle to what it cost) and are sent again, as
   * a refused interactive reservation waits for the ones in flight; with no
   * batch in flight, or refused by a task cap, they are rejected with the
   * budget's error. Given `giveBack`, refused requests are handed to it
   * unsent instead (calls sent ahead are made again when their subtask runs).
   */
  send(wave: readonly BatchWaiter[], giveBack?: (refused: BatchWaiter[]) => void): void {
    if (this.pastDeadline()) {
      for (const waiter of wave) this.#interactive(waiter);
      return;
    }
    let items = [...wave];
    const flight = this.#flight(() => items.some((waiter) => !waiter.settled));
    let run: BatchRun | undefined;
    while (!run && items.length > 0) {
      const requests = new Map(items.map((waiter) => [waiter.customId, waiter.request]));
      // Core creates a wave's batches one after another: each batch is its latest create's.
      let intent: string | undefined;
      try {
        run = this.#options.batches.batch(
          items.map((waiter) => ({
            request: waiter.request,
            attribution: waiter.attribution,
            customId: waiter.customId,
          })),
          {
            ...this.#pollOptions(flight),
            onCreating: async (creating) => {
              intent = randomUUID();
              await this.#creating(creating, requests, intent);
            },
            onSubmitted: (submission) => this.#submitted(submission, requests, intent),
          },
        );
      } catch (error) {
        if (!(error instanceof BatchBudgetExceededError) || error.itemsThatFit >= items.length) {
          for (const waiter of items) waiter.reject(error);
          items = [];
          break;
        }
        // The budget takes requests in order: a task cap refuses that one, a wider cap the rest.
        const fit = error.itemsThatFit;
        const refused = error.scope === 'task' ? [items[fit]!] : items.slice(fit);
        if (giveBack) giveBack(refused);
        // A batch in flight (another, or this one's part that fits) will
        // give back what it reserved beyond its cost.
        else if (error.scope !== 'task' && (fit > 0 || this.#flights.size > 1))
          for (const waiter of refused) this.#deferred.push({ waiter, refusal: error });
        else for (const waiter of refused) waiter.reject(error);
        items =
          error.scope === 'task'
            ? [...items.slice(0, fit), ...items.slice(fit + 1)]
            : items.slice(0, fit);
      }
    }
    if (!run) {
      this.#flights.delete(flight);
      // Nothing in flight will free budget for the calls waiting on it.
      if (this.#flights.size === 0)
        for (const { waiter, refusal } of this.#deferred.splice(0)) waiter.reject(refusal);
      return;
    }
    this.stats.waves.push(items.length);
    const byId = new Map(items.map((waiter) => [waiter.customId, waiter]));
    const seen = new Set<string>();
    this.#track(
      this.#consume(run, flight, (outcome) => {
        seen.add(outcome.customId);
        this.#settle(outcome, byId.get(outcome.customId));
      }).then((failure) => {
        // The batch failed (the API stayed down through every retry): its callers fail with it.
        for (const waiter of items)
          if (!seen.has(waiter.customId))
            waiter.reject(
              failure ??
                new ArmyError(
                  ERROR_CODES.API_UNAVAILABLE,
                  `Batch ${run.batchIds.join(', ')} ended without a result for "${waiter.customId}".`,
                ),
            );
      }),
      true,
    );
  }

  /** The requests a batch record holds (none unless `journalRequests`). */
  #journaled(
    customIds: readonly string[],
    requests: ReadonlyMap<string, GatewayRequest>,
  ): Record<string, GatewayRequest> {
    const journaled: Record<string, GatewayRequest> = {};
    if (this.#options.journalRequests)
      for (const customId of customIds) {
        const request = requests.get(customId);
        if (request) journaled[customId] = request;
      }
    return journaled;
  }

  /** Hands a create about to be sent to the recorder (core awaits it before sending). */
  async #creating(
    creating: BatchCreating,
    requests: ReadonlyMap<string, GatewayRequest>,
    intent: string,
  ): Promise<void> {
    await this.#options.recorder.batchCreating?.({
      runId: this.#options.runId,
      intent,
      at: creating.at,
      customIds: [...creating.customIds],
      attributions: creating.attributions,
      requests: this.#journaled(creating.customIds, requests),
    });
  }

  /** Hands a submitted batch to the recorder (core awaits it before polling). */
  async #submitted(
    submission: BatchSubmission,
    requests: ReadonlyMap<string, GatewayRequest>,
    intent: string | undefined,
  ): Promise<void> {
    await this.#options.recorder.batchSubmitted?.({
      runId: this.#options.runId,
      batchId: submission.batchId,
      customIds: [...submission.customIds],
      attributions: submission.attributions,
      requests: this.#journaled(submission.customIds, requests),
      ...(intent !== undefined ? { intent } : {}),
    });
  }

  /** Iterates a batch run's outcomes; a run that fails settles every caller still waiting. */
  async #consume(
    run: BatchRun,
    flight: Flight,
    onOutcome: (outcome: BatchOutcome) => void,
  ): Promise<unknown> {
    let failure: unknown;
    try {
      for await (const outcome of run) {
        flight.collecting = true;
        onOutcome(outcome);
      }
      await run.result;
    } catch (error) {
      failure = error;
    } finally {
      flight.ended = true;
      this.#flights.delete(flight);
      const deferred = this.#deferred.filter(({ waiter }) => !waiter.settled);
      this.#deferred = [];
      if (deferred.length > 0) this.send(deferred.map(({ waiter }) => waiter));
    }
    return failure;
  }

  /** Records an outcome, then answers its caller (when one still waits). */
  #settle(outcome: BatchOutcome, waiter: BatchWaiter | undefined, reattached = false): void {
    this.#track(
      this.#record(outcome, waiter).then(
        () => {
          if (waiter) this.#deliver(outcome, waiter, reattached);
        },
        (error: unknown) => waiter?.reject(error),
      ),
    );
  }

  #record(outcome: BatchOutcome, waiter: BatchWaiter | undefined): Promise<void> {
    const start = waiter?.start ?? this.#options.now();
    const { target } = this.#options;
    if (outcome.status === 'succeeded')
      return target.recordCall(
        start,
        outcome.attribution,
        outcome.entry.model,
        'success',
        outcome.entry,
        outcome.alreadyRecorded === true,
      );
    if (!waiter) return Promise.resolve();
    return target.recordCall(start, outcome.attribution, waiter.request.model, 'error', undefined);
  }

  /**
   * Answers a call with its outcome. A resumed run's batch cancelled by the
   * stop that interrupted it (say, a chunk sent ahead) hands back what it had
   * not run as `canceled`: in batch mode that goes out in a new batch, not
   * one by one at the standard price.
   */
  #deliver(outcome: BatchOutcome, waiter: BatchWaiter, reattached = false): void {
    if (waiter.settled) return;
    if (outcome.status === 'succeeded') {
      waiter.resolve({
        message: outcome.message,
        entry: outcome.entry,
        cost: outcome.cost,
        attempts: 1,
        latencyMs: Math.max(0, this.#options.now() - waiter.start),
      });
    } else if (outcome.status === 'maybe_submitted') {
      const why = outcome.error?.message ?? 'its batch create was lost on the wire';
      waiter.reject(
        new ArmyError(
          ORCHESTRATOR_ERROR_CODES.BATCH_MAYBE_SUBMITTED,
          `The batch request "${waiter.customId}" may have been submitted and billed (${why}); it is not retried, so it is never paid twice. Check client.messages.batches.list().`,
          outcome.error instanceof Error ? { cause: outcome.error } : {},
        ),
      );
    } else if (reattached && outcome.status === 'canceled' && this.#options.batching) {
      this.#sendAgain([waiter]);
    } else {
      this.#interactive(waiter);
    }
  }

  /** Runs a call interactively through the run's gateway (standard price). */
  #interactive(waiter: BatchWaiter): void {
    if (waiter.settled) return;
    this.stats.interactive += 1;
    let response: Promise<Awaited<ReturnType<ModelGateway['call']>>>;
    try {
      response = this.#options.target.call(waiter.request, waiter.attribution, waiter.options);
    } catch (error) {
      response = Promise.reject(error);
    }
    response.then(
      (ok) => waiter.resolve(ok),
      (error: unknown) => waiter.reject(error),
    );
  }

  /**
   * Whether a resumed run's batch was found gone at the API: calls of it
   * asked for from now on are gathered into new waves like any other.
   */
  gone(batchId: string): boolean {
    const state = this.#reattached.get(batchId);
    return state?.ended === true && ArmyError.is(state.error, ERROR_CODES.BATCH_NOT_FOUND);
  }

  /**
   * A call whose request a resumed run submitted before: waits for that
   * batch's outcome (the batch is reattached once, with `resumeBatch`).
   */
  reattach(record: BatchSubmittedRecord | BatchCreatingRecord, waiter: BatchWaiter): void {
    this.stats.reattached += 1;
    const key = 'batchId' in record ? record.batchId : `create:${record.intent}`;
    let state = this.#reattached.get(key);
    if (!state) {
      const created: Reattached = {
        create: !('batchId' in record),
        // Wanted while a caller still waits (one rejected by a stopped round no longer does).
        flight: this.#flight(() => [...created.waiters.values()].some((waiter) => !waiter.settled)),
        outcomes: new Map(),
        waiters: new Map(),
        again: [],
        ended: false,
        error: undefined,
      };
      state = created;
      this.#reattached.set(key, state);
      this.#track(this.#resume(record, state), true);
    }
    const recorded = state.outcomes.get(waiter.customId);
    if (recorded) {
      state.outcomes.delete(waiter.customId);
      recorded.then(
        (outcome) => this.#deliver(outcome, waiter, true),
        (error: unknown) => waiter.reject(error),
      );
    } else if (state.ended) {
      this.#missing(state, [waiter]);
    } else {
      state.waiters.set(waiter.customId, waiter);
    }
  }

  /**
   * The batch run that collects a resumed record: `resumeBatch` for a batch
   * recorded, `reconcileBatch` for a create recorded without its batch
   * (undefined when the gateway cannot reconcile: then it is sent again).
   */
  #collect(
    record: BatchSubmittedRecord | BatchCreatingRecord,
    options: BatchOptions & { requestsByCustomId?: Record<string, GatewayRequest> },
  ): BatchRun | undefined {
    const { batches, journaledBatchIds } = this.#options;
    if ('batchId' in record)
      return batches.resumeBatch(record.batchId, record.attributions, options);
    // What it adopts is not recorded: it may be another create's, and the next resume looks again.
    return batches.reconcileBatch?.(record.attributions, {
      ...options,
      since: record.at,
      exclude: journaledBatchIds,
    });
  }

  async #resume(
    record: BatchSubmittedRecord | BatchCreatingRecord,
    state: Reattached,
  ): Promise<void> {
    const options = this.#pollOptions(state.flight);
    let run: BatchRun | undefined;
    try {
      try {
        run = this.#collect(record, { ...options, requestsByCustomId: record.requests });
      } catch (error) {
        // Too little budget to reserve every request: charge each result as it arrives instead.
        if (!(error instanceof BatchBudgetExceededError)) throw error;
        run = this.#collect(record, options);
      }
    } catch (error) {
      state.error = error;
    }
    if (run)
      state.error = await this.#consume(run, state.flight, (outcome) => {
        // A lost create no batch held was never sent: its call is sent again once the search ends.
        if (state.create && outcome.status === 'not_submitted') return;
        const waiter = state.waiters.get(outcome.customId);
        if (waiter && outcome.status === 'canceled' && this.#options.batching) {
          state.waiters.delete(outcome.customId);
          // A caller given up since (its subtask stopped) needs nothing sent.
          if (!waiter.settled) state.again.push(waiter);
          return;
        }
        if (waiter) {
          state.waiters.delete(outcome.customId);
          this.#settle(outcome, waiter, true);
          return;
        }
        // Nobody asked for it yet: record it now (it is paid for) and keep it for its call.
        const recorded = this.#record(outcome, undefined).then(() => outcome);
        recorded.catch(() => {});
        state.outcomes.set(outcome.customId, recorded);
        this.#track(recorded);
      });
    else this.#flights.delete(state.flight);
    state.ended = true;
    this.#sendAgain(state.again.splice(0));
    const missing = [...state.waiters.values()];
    state.waiters.clear();
    this.#missing(state, missing);
  }

  /**
   * Calls a reattached batch ended without an outcome for, or that could
   * not be reattached. When the API has no such batch (it expired from its
   * retention, or was never there) there is nothing to collect: they go out
   * again in a new batch, at the batch price the run chose (interactively
   * once the deadline has passed), and the journal records that batch. A
   * call the ended batch simply did not hold runs interactively.
   */
  #missing(state: Reattached, waiters: BatchWaiter[]): void {
    const open = waiters.filter((waiter) => !waiter.settled);
    if (open.length === 0) return;
    if (state.create) this.#unfound(state.error, open);
    else if (ArmyError.is(state.error, ERROR_CODES.BATCH_NOT_FOUND)) this.#sendAgain(open);
    else if (state.error === undefined) for (const waiter of open) this.#interactive(waiter);
    else for (const waiter of open) waiter.reject(state.error);
  }

  /**
   * Calls of a lost create that reconciliation did not answer. No batch held
   * them (or the API answered that it cannot list batches): they were never
   * sent, or cannot be looked up, and go out again. The list failed otherwise
   * (the API down): they may be billed, so they fail `BATCH_MAYBE_SUBMITTED`,
   * which a later resume runs again, reconciling first.
   */
  #unfound(error: unknown, waiters: BatchWaiter[]): void {
    if (error instanceof AbortError) for (const waiter of waiters) waiter.reject(error);
    else if (error === undefined || cannotList(error)) this.#sendAgain(waiters);
    else
      for (const waiter of waiters)
        waiter.reject(
          new ArmyError(
            ORCHESTRATOR_ERROR_CODES.BATCH_MAYBE_SUBMITTED,
            `The batch request "${waiter.customId}" was in a create the interrupted run sent, and the API's batches could not be listed to find it (${error instanceof Error ? error.message : String(error)}); it is not sent again now, so it is never paid twice. Resume the run again once the API answers.`,
            error instanceof Error ? { cause: error } : {},
          ),
        );
  }

  /** Calls sent again in one wave with the others of the same tick (a chunk's calls are reattached in one loop). */
  #sendAgain(waiters: BatchWaiter[]): void {
    if (waiters.length === 0) return;
    const queued = this.#again.length > 0;
    this.#again.push(...waiters);
    if (queued) return;
    queueMicrotask(() => {
      // Nobody waits for a call settled since (its subtask stopped): it is not sent.
      const open = this.#again.splice(0).filter((waiter) => !waiter.settled);
      if (open.length > 0) this.send(open);
    });
  }

  /**
   * Waits until every outcome is recorded. A batch no caller waits for any
   * more (its callers were cancelled) is stopped, which cancels it at the
   * API. Once the run is cancelled, batch runs are not waited for: the SDK
   * may never settle a results download aborted half-way (core's BatchRun
   * then never ends), and their callers have been told already.
   */
  async close(): Promise<void> {
    for (const flight of this.#flights)
      if (!flight.ended && !flight.wanted()) flight.controller.abort();
    const { signal } = this.#options;
    const cancelled = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (;;) {
      const work = [...this.#work].filter((promise) => !this.#consumers.has(promise));
      const consumers = [...this.#consumers];
      if (work.length === 0 && (consumers.length === 0 || signal.aborted)) return;
      await Promise.race([Promise.all([...work, ...consumers]), cancelled]);
      if (signal.aborted) await Promise.all(work);
    }
  }
}

/** The list of batches was refused outright (a 4xx other than 408/429: an API without it). */
function cannotList(error: unknown): boolean {
  const cause = error instanceof ArmyError ? error.cause : error;
  const status = cause instanceof ApiCallError ? cause.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
