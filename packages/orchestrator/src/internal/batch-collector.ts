import {
  AbortError,
  type ArmyEvents,
  type Attribution,
  type BatchGateway,
  type CallOptions,
  type GatewayRequest,
  type GatewayResponse,
  type GatewayStream,
  type GatewayStreamEvent,
  type ModelGateway,
} from '@haiku-army/core';
import { MAX_OUTPUT_TOKENS_LABEL } from '@haiku-army/worker';
import { subtaskCustomId } from '../batch-custom-id.js';
import type { BatchCreatingRecord, BatchSubmittedRecord, RunRecorder } from '../run-recorder.js';
import { type BatchWaiter, createWaiter } from './batch-waiter.js';
import { BatchWaves, type WaveTarget } from './batch-waves.js';

/**
 * Subtasks whose first call was sent ahead that run at once once their
 * results are in: a 10,000-request batch's results arrive together, and
 * 10,000 worker runs (each with its cache write and journal record) at once
 * would hold them all in memory. A subtask gives its slot back when it ends,
 * or when it makes a later call that waits for the next wave.
 */
export const AHEAD_RUN_SLOTS = 256;

/** Options of a {@link BatchCollector}. */
export interface BatchCollectorOptions {
  runId: string;
  /** Interactive calls, and the timeline and recorder of batch results (the run's RunGateway). */
  gateway: WaveTarget;
  /** Where batches go (the army's gateway). */
  batches: BatchGateway;
  recorder: RunRecorder;
  /** False: nothing new is batched; only requests found in `resume` are reattached. */
  batching: boolean;
  toolTurns: 'batch' | 'interactive';
  windowMs: number;
  pollIntervalMs: number | undefined;
  /** When batching stops (the army's clock), if ever. */
  deadlineAt: number | undefined;
  /** Batches an interrupted run submitted: their requests are reattached, never resubmitted. */
  resume?: readonly BatchSubmittedRecord[] | undefined;
  /** Creates an interrupted run sent whose batch it never recorded: reconciled first (see `BatchWaves.reattach`). */
  resumeCreates?: readonly BatchCreatingRecord[] | undefined;
  /** Every batch id the interrupted run recorded: never taken for a lost create. */
  journaledBatchIds?: readonly string[] | undefined;
  /**
   * Whether a submitted batch's journal record holds its requests (a resume
   * then reserves their worst case again); without, a resume charges each
   * result as it arrives. @default true
   */
  journalRequests?: boolean;
  now: () => number;
  /** The run's cancellation. */
  signal: AbortSignal;
}

/** What {@link BatchCollector.stats} counts. */
export interface BatchCollectorStats {
  /** Batch waves sent (one `gateway.batch` each). */
  waves: number[];
  /** Requests found in a resumed run's batches. */
  reattached: number;
  /** Worker calls that went interactive (routing, deadline, or a failed batch request's retry). */
  interactive: number;
  /** First calls not sent ahead because the budget could not reserve them then (made when their subtask runs). */
  aheadRefused: number;
}

/**
 * A ModelGateway for the worker pool of a batch-mode run. Workers call
 * `call()`/`stream()` as usual; the collector gathers the calls made within
 * `windowMs` (sending sooner once every running subtask is waiting on it)
 * into one `gateway.batch` submission and resolves each call with its
 * message as results arrive, so the worker loop is unchanged and tool turns
 * become successive batch waves. Calls it does not batch (other roles,
 * later turns with `toolTurns: 'interactive'`, after the deadline) go
 * through the run's gateway as they are.
 */
export class BatchCollector implements ModelGateway {
  readonly #options: BatchCollectorOptions;
  readonly #gateway: WaveTarget;
  readonly #waves: BatchWaves;
  /** Calls made per subtask attempt, for the custom id of the next. */
  readonly #turns = new Map<string, number>();
  /** Custom id -> the resumed batch that holds it. */
  readonly #resumable = new Map<string, BatchSubmittedRecord | BatchCreatingRecord>();
  /** Every custom id the resumed records hold (kept after `#resumable` lets one go). */
  readonly #journaledIds = new Set<string>();
  /** Custom id -> the response of a first call sent ahead of its subtask's run (see `sendAhead`). */
  readonly #ahead = new Map<string, { waiter: BatchWaiter; promise: Promise<GatewayResponse> }>();
  /** Subtasks sent ahead that hold no run slot yet (a wave is not complete while one may still call). */
  #aheadOpen = 0;
  /** Run slots free, and the subtasks waiting for one (see AHEAD_RUN_SLOTS). */
  #freeSlots = AHEAD_RUN_SLOTS;
  readonly #slotQueue: (() => void)[] = [];
  /** Subtasks holding a run slot. */
  readonly #holding = new Set<string>();
  /** The run or its round stopped: calls sent ahead are given up and no subtask waits for a slot. */
  #abandoned = false;
  readonly #onRunAbort: () => void;
  #gathering: BatchWaiter[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #checkQueued = false;
  /** Subtasks running (between `enter` and its leave). */
  #active = 0;
  /** Calls not answered yet: gathering, in a batch, or retried interactively. */
  #waiting = 0;
  #closed = false;

  constructor(options: BatchCollectorOptions) {
    this.#options = options;
    this.#gateway = options.gateway;
    this.#waves = new BatchWaves({
      runId: options.runId,
      target: options.gateway,
      batches: options.batches,
      recorder: options.recorder,
      pollIntervalMs: options.pollIntervalMs,
      deadlineAt: options.deadlineAt,
      journalRequests: options.journalRequests ?? true,
      journaledBatchIds: options.journaledBatchIds ?? [],
      batching: options.batching,
      now: options.now,
      signal: options.signal,
    });
    // Of two records holding a request (sent again after its batch was lost
    // or cancelled), the later in the journal is where it was sent last.
    const records = [...(options.resumeCreates ?? []), ...(options.resume ?? [])].sort(
      (a, b) => (a.seq ?? 0) - (b.seq ?? 0),
    );
    for (const record of records)
      for (const customId of record.customIds) {
        this.#resumable.set(customId, record);
        this.#journaledIds.add(customId);
      }
    // One listener for every call sent ahead (a chunk's worth), removed by close().
    this.#onRunAbort = () => this.abandonAhead(options.signal.reason);
    options.signal.addEventListener('abort', this.#onRunAbort, { once: true });
  }

  /**
   * The run or its round stopped (cancelled, fail-fast, a failed callback):
   * every call sent ahead and not answered is rejected (nobody waits for its
   * batch any more, so `close()` cancels it), and subtasks waiting for a run
   * slot go on at once (to end as cancelled).
   */
  abandonAhead(reason?: unknown): void {
    this.#abandoned = true;
    this.#aheadOpen = 0;
    for (const { waiter } of this.#ahead.values())
      waiter.reject(new AbortError(undefined, { cause: reason }));
    for (const next of this.#slotQueue.splice(0)) next();
  }

  /**
   * A call's custom id: the run's token in it (see `subtaskCustomId`), or
   * without one when the resumed journal recorded it so (written before
   * custom ids carried the token), so its batch is still found.
   */
  #customId(taskId: string, attempt: number, turn: number): string {
    const id = subtaskCustomId(taskId, attempt, turn, this.#options.runId);
    if (this.#journaledIds.size === 0 || this.#journaledIds.has(id)) return id;
    const legacy = subtaskCustomId(taskId, attempt, turn);
    return this.#journaledIds.has(legacy) ? legacy : id;
  }

  get events(): ArmyEvents {
    return this.#gateway.events;
  }
  get ledger() {
    return this.#gateway.ledger;
  }
  get catalog() {
    return this.#gateway.catalog;
  }
  get budget() {
    return this.#gateway.budget;
  }

  /** How the run's worker calls went. */
  get stats(): BatchCollectorStats {
    return this.#waves.stats;
  }

  worstCase(request: GatewayRequest): number {
    return this.#gateway.worstCase(request);
  }

  countTokens(
    request: Parameters<ModelGateway['countTokens']>[0],
    options?: CallOptions,
  ): Promise<number> {
    return this.#gateway.countTokens(request, options);
  }

  /**
   * A subtask started: until the returned leave is called, the collector
   * expects a call from it before a wave is complete. Given its id, the
   * leave also forgets its calls' turn counts (it makes no more calls in
   * this run), so a streamed map's memory does not grow with its items, and
   * gives back its run slot (see `ahead`).
   */
  enter(taskId?: string): () => void {
    this.#active += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#active -= 1;
      if (taskId !== undefined) {
        for (let attempt = 1; this.#turns.delete(`${taskId}\n${attempt}`); attempt++);
        this.#ahead.delete(this.#customId(taskId, 1, 1));
        this.release(taskId);
      }
      this.#check();
    };
  }

  /**
   * Sends the first calls of subtasks that have not started (built with the
   * pool's `firstCall`) as one wave now, so their runs need not all be in
   * flight for the batch to hold them all: a subtask's run starts once
   * `ahead(taskId)` settles, and its first call is answered from the batch
   * result. A first call a resumed run's batch holds is not sent again but
   * reattached to that batch the same way, so a resumed chunk's runs also
   * start as their results come in. Calls already made are left out.
   * Nothing is sent when batching is off or past its deadline. Returns the
   * ids of the subtasks whose first call was sent or reattached.
   */
  sendAhead(calls: readonly { request: GatewayRequest; attribution: Attribution }[]): Set<string> {
    const sent = new Set<string>();
    if (!this.#options.batching || this.#closed || this.#abandoned || this.#waves.pastDeadline())
      return sent;
    const wave: BatchWaiter[] = [];
    const start = this.#options.now();
    // The worker's own call options (one object for the wave): a budget error of an interactive retry names its limit.
    const options = { signal: this.#options.signal, maxTokensLabel: MAX_OUTPUT_TOKENS_LABEL };
    for (const { request, attribution } of calls) {
      const attempt = attribution.attempt ?? 1;
      const customId = this.#customId(attribution.taskId, attempt, 1);
      if (this.#ahead.has(customId) || this.#turns.has(`${attribution.taskId}\n${attempt}`))
        continue;
      // Not counted as waiting: no subtask run has entered for it yet.
      const made = createWaiter({ customId, request, attribution, options, start }, () => {}, {
        listen: false,
      });
      // Its run takes the outcome (a cancelled run's may go untaken: it is recorded all the same).
      made.promise.catch(() => {});
      this.#ahead.set(customId, made);
      sent.add(attribution.taskId);
      const record = this.#takeResumed(customId);
      if (record) this.#waves.reattach(record, made.waiter);
      else wave.push(made.waiter);
    }
    this.#aheadOpen += sent.size;
    // What the budget cannot reserve now (chunks ahead hold reservations
    // too) is not sent ahead: its subtask makes the call when it runs.
    if (wave.length > 0)
      this.#waves.send(wave, (refused) => {
        this.#waves.stats.aheadRefused += refused.length;
        for (const waiter of refused) {
          this.#ahead.delete(waiter.customId);
          if (sent.delete(waiter.attribution.taskId)) this.#aheadOpen -= 1;
        }
      });
    return sent;
  }

  /**
   * Settles once the first call sent ahead for the subtask is answered (or
   * failed) and a run slot is free for it; undefined if none was sent. Its
   * slot is held until it leaves (see `enter`), or until it makes a call
   * that waits for a wave.
   */
  ahead(taskId: string): Promise<void> | undefined {
    const sent = this.#ahead.get(this.#customId(taskId, 1, 1));
    if (!sent) return undefined;
    return sent.promise.then(
      () => this.#slot(taskId),
      () => this.#slot(taskId),
    );
  }

  #slot(taskId: string): Promise<void> {
    const take = (): void => {
      if (this.#aheadOpen > 0) this.#aheadOpen -= 1;
      if (!this.#abandoned) this.#holding.add(taskId);
    };
    if (this.#abandoned || this.#freeSlots > 0) {
      if (!this.#abandoned) this.#freeSlots -= 1;
      take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#slotQueue.push(() => {
        take();
        resolve();
      });
    });
  }

  /** Gives back the subtask's run slot, if it holds one (to the next subtask waiting). */
  release(taskId: string): void {
    if (!this.#holding.delete(taskId)) return;
    const next = this.#slotQueue.shift();
    if (next) next();
    else this.#freeSlots += 1;
  }

  call(
    request: GatewayRequest,
    attribution: Attribution,
    options?: CallOptions,
  ): Promise<GatewayResponse> {
    const customId = this.#batchedId(attribution);
    const ahead = this.#takeAhead(customId);
    if (ahead) return ahead;
    if (customId === undefined) {
      this.#waves.stats.interactive += 1;
      return this.#gateway.call(request, attribution, options);
    }
    return this.#enqueue(customId, request, attribution, options);
  }

  stream(request: GatewayRequest, attribution: Attribution, options?: CallOptions): GatewayStream {
    const customId = this.#batchedId(attribution);
    const ahead = this.#takeAhead(customId);
    if (customId === undefined && !ahead) {
      this.#waves.stats.interactive += 1;
      return this.#gateway.stream(request, attribution, options);
    }
    // A batch does not stream: the stream yields no events and ends with the result.
    const result = ahead ?? this.#enqueue(customId!, request, attribution, options);
    result.catch(() => {});
    return {
      result,
      finalMessage: async () => (await result).message,
      [Symbol.asyncIterator]: (): AsyncIterator<GatewayStreamEvent> => ({
        next: async () => {
          await result.catch(() => {});
          return { done: true, value: undefined };
        },
      }),
    };
  }

  /** The resumed run's batch that holds this custom id, unless the API no longer has it. */
  #resumed(customId: string): BatchSubmittedRecord | BatchCreatingRecord | undefined {
    const record = this.#resumable.get(customId);
    return record && !('batchId' in record && this.#waves.gone(record.batchId))
      ? record
      : undefined;
  }

  /** {@link #resumed}, taken: a custom id is reattached (or sent anew) once. */
  #takeResumed(customId: string): BatchSubmittedRecord | BatchCreatingRecord | undefined {
    const record = this.#resumed(customId);
    this.#resumable.delete(customId);
    return record;
  }

  /**
   * Counts the call's turn and says whether it goes by batch (its custom
   * id), or interactively (undefined). A request a resumed run submitted is
   * always reattached, whatever the mode now (unless its batch was found gone).
   */
  #batchedId(attribution: Attribution): string | undefined {
    const attempt = attribution.attempt ?? 1;
    const key = `${attribution.taskId}\n${attempt}`;
    const turn = (this.#turns.get(key) ?? 0) + 1;
    this.#turns.set(key, turn);
    const customId = this.#customId(attribution.taskId, attempt, turn);
    // A request of a batch found gone goes by the rules below, as a new call.
    if (this.#resumed(customId) || this.#ahead.has(customId)) return customId;
    const options = this.#options;
    if (
      !options.batching ||
      this.#closed ||
      attribution.role !== 'worker' ||
      (options.toolTurns === 'interactive' && turn > 1) ||
      this.#waves.pastDeadline()
    )
      return undefined;
    return customId;
  }

  /** The response of a call sent ahead under this custom id, taken (once). */
  #takeAhead(customId: string | undefined): Promise<GatewayResponse> | undefined {
    if (customId === undefined) return undefined;
    const ahead = this.#ahead.get(customId);
    if (ahead) this.#ahead.delete(customId);
    return ahead?.promise;
  }

  #enqueue(
    customId: string,
    request: GatewayRequest,
    attribution: Attribution,
    options: CallOptions | undefined,
  ): Promise<GatewayResponse> {
    this.#waiting += 1;
    const { waiter, promise } = createWaiter(
      { customId, request, attribution, options, start: this.#options.now() },
      () => {
        this.#waiting -= 1;
      },
    );
    if (waiter.settled) return promise;
    // Waiting for a wave (maybe a batch's hours) holds no run slot.
    this.release(attribution.taskId);
    const record = this.#takeResumed(customId);
    // A batch found gone at the API: its calls go in the next wave.
    if (record) {
      this.#waves.reattach(record, waiter);
      this.#check();
      return promise;
    }
    this.#gathering.push(waiter);
    this.#timer ??= setTimeout(() => this.#flush(), this.#options.windowMs);
    this.#check();
    return promise;
  }

  /**
   * Sends the wave early once every running subtask is waiting on the
   * collector: no further call can join it. Checked again after the event
   * loop's pending callbacks, since a scheduler starts subtasks across
   * microtasks and the first may call before the last has started.
   */
  #check(): void {
    if (this.#checkQueued || !this.#complete()) return;
    this.#checkQueued = true;
    setImmediate(() => {
      this.#checkQueued = false;
      if (this.#complete()) this.#flush();
    });
  }

  /** Every running subtask waits on the collector, and none sent ahead may still join (the window timer sends anyway). */
  #complete(): boolean {
    return this.#gathering.length > 0 && this.#waiting >= this.#active && this.#aheadOpen === 0;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const wave = this.#gathering.filter((waiter) => !waiter.settled);
    this.#gathering = [];
    if (wave.length > 0) this.#waves.send(wave);
  }

  /**
   * Sends what is still gathering, waits for every batch's results to be
   * recorded, and cancels batches nobody waits for any more (their callers
   * were cancelled or timed out).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#options.signal.removeEventListener('abort', this.#onRunAbort);
    this.#flush();
    await this.#waves.close();
  }
}
