import type { Attribution } from '../attribution.js';
import type { Reservation } from '../budget.js';
import { AbortError, ApiCallError, ArmyError, ERROR_CODES, invalidOption } from '../errors.js';
import { type BatchContext, withRetries } from './batch-api.js';
import { reserveBatch } from './batch-budget.js';
import { BatchCall, pollSettings, positiveInteger } from './batch-call.js';
import {
  chunkItems,
  type PlannedItem,
  planItems,
  validateAttribution,
  validateCustomId,
} from './batch-plan.js';
import type { TrackedRequest } from './batch-results.js';
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_REQUESTS,
  type BatchItem,
  type BatchOptions,
  type BatchRun,
  type ReconcileBatchOptions,
  type ResumeBatchOptions,
} from './batch-types.js';
import type { GatewayRequest } from './gateway.js';

/** How far before a lost create's attempt reconciliation looks (clock skew with the API), ms. */
export const RECONCILE_SKEW_MS = 5 * 60_000;
/**
 * How long after a lost create's attempt its batch can have been created
 * (the create's upload and retries, plus clock skew), ms: a batch made later
 * is someone else's.
 */
export const RECONCILE_WINDOW_MS = 15 * 60_000;
/** Most batches reconciliation scans in the API's list (newest first). */
export const RECONCILE_MAX_SCAN = 1_000;

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
  /** Every batch id this gateway created or adopted in-process (reconciliation skips them). */
  readonly #known = new Set<string>();
  /** The batch ids this gateway created (a new process's reconciliation skips only these). */
  readonly #created = new Set<string>();
  /** Batch ids a new process's reconciliation adopted (an in-process one skips them too). */
  readonly #foreign = new Set<string>();

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
    attributionsByCustomId: AttributionsByCustomId,
    options: ResumeBatchOptions = {},
  ): BatchRun {
    if (typeof batchId !== 'string' || batchId.length === 0)
      throw invalidOption('batchId', 'a Message Batch id such as "msgbatch_..."', batchId);
    pollSettings(options);
    const tracked = this.#tracked(attributionsByCustomId, options, batchId);
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
        tracked.giveBack();
        if (error instanceof ApiCallError && error.status === 404) {
          throw new ArmyError(
            ERROR_CODES.BATCH_NOT_FOUND,
            `The API has no Message Batch "${batchId}" (404); pass an id that onSubmitted or batch:submitted reported for this API key and workspace.`,
            { cause: error },
          );
        }
        throw error;
      }
      call.track(batchId, tracked.requests);
    }, options);
  }

  /** See `Gateway.reconcileBatch`. */
  reconcile(
    attributionsByCustomId: AttributionsByCustomId,
    options: ReconcileBatchOptions,
  ): BatchRun {
    const since = options?.since;
    if (typeof since !== 'number' || !Number.isFinite(since))
      throw invalidOption('since', 'the `at` onCreating reported (ms since the epoch)', since);
    pollSettings(options);
    const tracked = this.#tracked(attributionsByCustomId, options);
    const { requests } = tracked;
    const call = new BatchCall(this.#context, this.#held);
    return call.start(async () => {
      let found: string[];
      try {
        // Another reconcile's candidates stay candidates: two lost creates of one size may each hold the other's batch.
        found = await this.#candidates(
          requests.size,
          since,
          new Set([...(options.exclude ?? []), ...this.#created]),
          { signal: options.signal },
          { skipKnown: false },
        );
      } catch (error) {
        tracked.giveBack();
        if (error instanceof AbortError) throw error;
        throw new ArmyError(
          ERROR_CODES.API_UNAVAILABLE,
          `Could not list the API's Message Batches to find a create sent at ${new Date(since).toISOString()} (${error instanceof Error ? error.message : String(error)}); it may have been created. Reconcile again later, or check client.messages.batches.list() before sending its requests again.`,
          { cause: error },
        );
      }
      if (found.length === 0) {
        call.unsent(
          requests,
          (customId) =>
            `No Message Batch created since ${new Date(since).toISOString()} holds ${requests.size} requests: the create of "${customId}" never reached the API. Send it again.`,
        );
        return;
      }
      const attributions = attributionsOf(requests.values());
      // Possibly someone else's: never cancelled, and its reservations are not held for it.
      const group = { remaining: found.length, batchIds: found, foreign: true };
      for (const batchId of found) {
        this.#foreign.add(batchId);
        call.track(batchId, requests, group);
        await this.#announce(batchId, attributions, 0, 1, options.onSubmitted);
      }
    }, options);
  }

  /**
   * The requests a resume waits for, with their reservations: the ones this
   * gateway still holds for `batchId`, and in a new process the worst case of
   * each request given (all or nothing). `giveBack` undoes it when nothing
   * will be collected.
   */
  #tracked(
    attributionsByCustomId: AttributionsByCustomId,
    options: ResumeBatchOptions,
    batchId?: string,
  ): { requests: Map<string, TrackedRequest>; giveBack: () => void } {
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
      const reservation = batchId === undefined ? undefined : this.#held.get(key);
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
    const reservedIds = new Set([...reserved.keys()].map((wanted) => wanted.customId));
    for (const [wanted, reservation] of reserved) {
      const tracked = requests.get(wanted.customId);
      if (tracked) tracked.reservation = reservation;
    }
    return {
      requests,
      // Nothing to wait for: give back what this call reserved, keep what was held before.
      giveBack: () => {
        for (const reservation of reserved.values()) reservation.release();
        if (batchId === undefined) return;
        for (const tracked of requests.values()) {
          if (tracked.reservation && !reservedIds.has(tracked.customId))
            this.#held.set(`${batchId}/${tracked.customId}`, tracked.reservation);
        }
      },
    };
  }

  /**
   * The API's batches created since `since` (less {@link RECONCILE_SKEW_MS})
   * holding exactly `count` requests, that this gateway does not know and
   * that are not excluded: what a create whose answer was lost may have made.
   * Throws when the list fails.
   */
  async #candidates(
    count: number,
    since: number,
    exclude: ReadonlySet<string>,
    retry: { signal?: AbortSignal | undefined; maxAttempts?: number },
    { skipKnown = true, latest = since + RECONCILE_WINDOW_MS } = {},
  ): Promise<string[]> {
    const context = this.#context;
    const cutoff = since - RECONCILE_SKEW_MS;
    const found: string[] = [];
    const page = await withRetries(
      context,
      (requestOptions) => context.client.messages.batches.list({ limit: 100 }, requestOptions),
      retry,
    );
    let scanned = 0;
    for await (const batch of page) {
      if (++scanned > RECONCILE_MAX_SCAN) break;
      const created = Date.parse(batch.created_at);
      if (created < cutoff || created > latest) continue;
      const counts = batch.request_counts;
      const total =
        counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired;
      const known = this.#known.has(batch.id) || this.#foreign.has(batch.id);
      if (total === count && !(skipKnown && known) && !exclude.has(batch.id)) found.push(batch.id);
    }
    return found;
  }

  /** Reports a batch created or adopted: the `batch:submitted` event, then `onSubmitted` (awaited). */
  async #announce(
    batchId: string,
    attributions: Record<string, Attribution>,
    index: number,
    chunks: number,
    onSubmitted: BatchOptions['onSubmitted'],
  ): Promise<void> {
    const customIds = Object.keys(attributions);
    this.#context.events.emit('batch:submitted', {
      batchId,
      requests: customIds.length,
      chunk: index,
      chunks,
    });
    try {
      await onSubmitted?.({ batchId, customIds, attributions });
    } catch {
      // The batch is submitted and paid for either way; persisting is the caller's job.
    }
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
    if (options.onCreating) {
      try {
        await options.onCreating({
          customIds: chunk.map((item) => item.customId),
          attributions: attributionsOf(chunk),
          at: attemptStart,
        });
      } catch (error) {
        if (options.signal?.aborted)
          throw new AbortError(undefined, { cause: options.signal.reason });
        this.#notSubmitted(
          call,
          chunk,
          reservations,
          new ArmyError(
            ERROR_CODES.INVALID_STATE,
            `onCreating failed, so the batch of "${chunk[0]?.customId}" and ${chunk.length - 1} more was not created: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
        );
        return;
      }
    }
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
      this.#notSubmitted(
        call,
        chunk,
        reservations,
        error instanceof ArmyError
          ? error
          : new ArmyError(ERROR_CODES.API_UNAVAILABLE, String(error)),
      );
      return;
    }
    this.#known.add(batchId);
    this.#created.add(batchId);
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
    const aborted = cause instanceof AbortError;
    let found: string[] | undefined;
    try {
      // In-process the create's retries are over: anything made since it was first sent may be it.
      found = await this.#candidates(
        chunk.length,
        attemptStart,
        new Set(),
        aborted ? { maxAttempts: 1 } : { signal: options.signal },
        { latest: this.#context.now() + RECONCILE_SKEW_MS },
      );
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
      if (aborted) {
        for (const item of chunk) reservations.get(item)?.release();
        throw cause;
      }
      this.#notSubmitted(
        call,
        chunk,
        reservations,
        cause instanceof ArmyError
          ? cause
          : new ArmyError(ERROR_CODES.API_UNAVAILABLE, String(cause)),
      );
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
    const requests = new Map<string, TrackedRequest>();
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
    }
    const attributions = attributionsOf(chunk);
    const group = reconciled ? { remaining: batchIds.length, batchIds } : undefined;
    for (const batchId of batchIds) {
      call.track(batchId, requests, group);
      await this.#announce(batchId, attributions, index, chunks, options.onSubmitted);
    }
  }

  /** A chunk the API never got: its reservations are released and its items offered for retry. */
  #notSubmitted(
    call: BatchCall,
    chunk: readonly PlannedItem[],
    reservations: Map<PlannedItem, Reservation>,
    error: ArmyError,
  ): void {
    for (const item of chunk) {
      reservations.get(item)?.release();
      call.outcome({
        status: 'not_submitted',
        customId: item.customId,
        attribution: item.attribution,
        request: item.request,
        error,
      });
    }
  }
}

type AttributionsByCustomId =
  | Readonly<Record<string, Attribution>>
  | ReadonlyMap<string, Attribution>;

function attributionsOf(
  items: Iterable<{ customId: string; attribution: Attribution }>,
): Record<string, Attribution> {
  const attributions: Record<string, Attribution> = Object.create(null);
  for (const item of items) attributions[item.customId] = item.attribution;
  return attributions;
}
