import type {
  ArmyEvents,
  Attribution,
  CallEndEvent,
  CallOptions,
  CallRetryEvent,
  GatewayRequest,
  GatewayResponse,
  GatewayStream,
  LedgerEntry,
  ModelGateway,
} from '@haiku-army/core';
import type { RunRecorder } from '../run-recorder.js';
import type { TimelineEntry } from '../run-result.js';

/** Options of a {@link RunGateway}. */
export interface RunGatewayOptions {
  recorder: RunRecorder;
  now: () => number;
  /** Ledger entries of the run the recorder already has (a resumed run's journaled ones). */
  recorded?: Iterable<string>;
  /** Whether worker calls go on the timeline (a streamed map's 100,000 would not fit its memory bound). @default true */
  timelineWorkers?: boolean;
}

function keyOf(attribution: Attribution): string {
  return `${attribution.taskId}\n${attribution.role}\n${attribution.attempt ?? 1}`;
}

function entryOf(error: unknown): LedgerEntry | undefined {
  const entry = (error as { entry?: LedgerEntry } | undefined)?.entry;
  return entry && typeof entry === 'object' && typeof entry.id === 'string' ? entry : undefined;
}

/**
 * The gateway one run's calls go through: it delegates to the army's
 * gateway, puts every call on the run's timeline and hands every billed
 * ledger entry to the run's recorder before the caller sees the response.
 */
export class RunGateway implements ModelGateway {
  readonly #inner: ModelGateway;
  readonly #recorder: RunRecorder;
  readonly #now: () => number;
  readonly #runId: string;
  /** Calls in flight through this wrapper, by attribution key (count). */
  readonly #inflight = new Map<string, number>();
  /** Recorder writes of calls made around this wrapper (the router's own calls). */
  readonly #pending = new Set<Promise<void>>();
  /** Ids of the run's ledger entries handed to the recorder. */
  readonly #recorded: Set<string>;
  #nextCall = 1;
  /** Every call of the run, in the order they ended. */
  readonly timeline: TimelineEntry[] = [];
  readonly #timelineWorkers: boolean;

  constructor(inner: ModelGateway, runId: string, options: RunGatewayOptions) {
    this.#inner = inner;
    this.#runId = runId;
    this.#recorder = options.recorder;
    this.#now = options.now;
    this.#recorded = new Set(options.recorded ?? []);
    this.#timelineWorkers = options.timelineWorkers ?? true;
    inner.events.on('call:end', this.#onForeignCall);
    inner.events.on('call:retry', this.#onMaybeBilled);
  }

  /** Hands an entry to the recorder once, tracked so `close()` waits for it. */
  #record(entry: LedgerEntry): void {
    if (this.#recorded.has(entry.id)) return;
    this.#recorded.add(entry.id);
    const written = Promise.resolve(this.#recorder.ledgerEntry?.(entry)).finally(() =>
      this.#pending.delete(written),
    );
    this.#pending.add(written);
  }

  /** The run's ledger entry with this id (a call's `entryId`), if the ledger holds it. */
  #entryOf(id: string): LedgerEntry | undefined {
    const entry = this.#inner.ledger.entry(id);
    return entry?.runId === this.#runId ? entry : undefined;
  }

  /** A retried attempt the API may have billed is a ledger entry of its own: it reaches the recorder too. */
  readonly #onMaybeBilled = (event: CallRetryEvent): void => {
    if (event.attribution.runId !== this.#runId || !event.maybeBilled || !event.entryId) return;
    const entry = this.#entryOf(event.entryId);
    if (entry) this.#record(entry);
  };

  /**
   * Calls of this run that did not come through this wrapper (a router's
   * classifier holding the army's gateway) still reach the timeline and the
   * recorder, from their `call:end`.
   */
  readonly #onForeignCall = (event: CallEndEvent): void => {
    const { attribution } = event;
    if (attribution.runId !== this.#runId || this.#inflight.has(keyOf(attribution))) return;
    const end = this.#now();
    const entry = event.entryId === undefined ? undefined : this.#entryOf(event.entryId);
    this.#push(end - event.latencyMs, attribution, event.model, event.outcome, entry);
    if (entry) this.#record(entry);
  };

  /**
   * Stops listening, hands the recorder any of the run's ledger entries it
   * has not had (so the journal holds every billed call), and waits for its
   * writes.
   */
  async close(): Promise<void> {
    this.#inner.events.off('call:end', this.#onForeignCall);
    this.#inner.events.off('call:retry', this.#onMaybeBilled);
    if (this.#recorder.ledgerEntry)
      for (const entry of this.#inner.ledger.each({ runId: this.#runId })) this.#record(entry);
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Hands the recorder an entry made outside a call (a result reused from the cache). */
  adopt(entry: LedgerEntry): void {
    this.#record(entry);
  }

  /** Tells the recorder a call is about to be sent, with what it may cost; returns its call id. */
  #started(request: GatewayRequest, attribution: Attribution): string | undefined {
    if (!this.#recorder.callStarted) return undefined;
    const callId = String(this.#nextCall++);
    let worstCase = 0;
    try {
      worstCase = this.#inner.worstCase(request);
    } catch {
      // An unknown model: the call itself fails before it is sent.
    }
    this.#recorder.callStarted({
      runId: this.#runId,
      callId,
      taskId: attribution.taskId,
      role: attribution.role,
      model: request.model,
      attempt: attribution.attempt ?? 1,
      worstCase,
      at: this.#now(),
    });
    return callId;
  }

  /** The army's emitter (the pool runs with `taskEvents: false`: the army emits `task:*` once per subtask). */
  get events(): ArmyEvents {
    return this.#inner.events;
  }
  get ledger() {
    return this.#inner.ledger;
  }
  get catalog() {
    return this.#inner.catalog;
  }
  get budget() {
    return this.#inner.budget;
  }

  worstCase(request: GatewayRequest): number {
    return this.#inner.worstCase(request);
  }

  countTokens(
    request: Parameters<ModelGateway['countTokens']>[0],
    options?: CallOptions,
  ): Promise<number> {
    return this.#inner.countTokens(request, options);
  }

  #enter(attribution: Attribution): () => void {
    const key = keyOf(attribution);
    this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const count = (this.#inflight.get(key) ?? 1) - 1;
      if (count === 0) this.#inflight.delete(key);
      else this.#inflight.set(key, count);
    };
  }

  async call(
    request: GatewayRequest,
    attribution: Attribution,
    options?: CallOptions,
  ): Promise<GatewayResponse> {
    const start = this.#now();
    const leave = this.#enter(attribution);
    let response: Promise<GatewayResponse>;
    let callId: string | undefined;
    try {
      callId = this.#started(request, attribution);
      response = this.#inner.call(request, attribution, options);
    } catch (error) {
      response = Promise.reject(error);
    }
    return this.#track(start, attribution, request.model, leave, response, callId);
  }

  /** Records the end of a call (success, error or abort) on the run's timeline, then passes its outcome on. */
  #track(
    start: number,
    attribution: Attribution,
    model: string,
    leave: () => void,
    response: Promise<GatewayResponse>,
    callId: string | undefined,
  ): Promise<GatewayResponse> {
    return response.then(
      async (ok) => {
        leave();
        await this.#settled(start, attribution, model, 'success', ok.entry, callId);
        return ok;
      },
      async (error: unknown) => {
        leave();
        const aborted = (error as { code?: string } | undefined)?.code === 'ABORTED';
        await this.#settled(
          start,
          attribution,
          model,
          aborted ? 'aborted' : 'error',
          entryOf(error),
          callId,
        );
        throw error;
      },
    );
  }

  stream(request: GatewayRequest, attribution: Attribution, options?: CallOptions): GatewayStream {
    const start = this.#now();
    const leave = this.#enter(attribution);
    const callId = this.#started(request, attribution);
    const stream = this.#inner.stream(request, attribution, options);
    const result = this.#track(start, attribution, request.model, leave, stream.result, callId);
    result.catch(() => {});
    return {
      result,
      finalMessage: async () => (await result).message,
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    };
  }

  /**
   * Puts a call made around this wrapper (a Message Batch request) on the
   * timeline and hands its billed entry to the recorder, unless `journaled`
   * says the recorder has it already (a result collected before a resume).
   */
  async recordCall(
    start: number,
    attribution: Attribution,
    model: string,
    outcome: TimelineEntry['outcome'],
    entry: LedgerEntry | undefined,
    journaled = false,
  ): Promise<void> {
    this.#push(start, attribution, model, outcome, entry);
    if (!entry || this.#recorded.has(entry.id)) return;
    // Marked either way, so `close()` does not hand the recorder the entry again.
    this.#recorded.add(entry.id);
    if (!journaled) await this.#recorder.ledgerEntry?.(entry);
  }

  async #settled(
    start: number,
    attribution: Attribution,
    model: string,
    outcome: TimelineEntry['outcome'],
    entry: LedgerEntry | undefined,
    callId: string | undefined,
  ): Promise<void> {
    this.#push(start, attribution, model, outcome, entry);
    if (callId !== undefined)
      await this.#recorder.callEnded?.({
        runId: this.#runId,
        callId,
        outcome,
        ...(entry ? { entry } : {}),
      });
    if (entry && !this.#recorded.has(entry.id)) {
      this.#recorded.add(entry.id);
      await this.#recorder.ledgerEntry?.(entry);
    }
  }

  #push(
    start: number,
    attribution: Attribution,
    model: string,
    outcome: TimelineEntry['outcome'],
    entry: LedgerEntry | undefined,
  ): void {
    if (!this.#timelineWorkers && attribution.role === 'worker') return;
    this.timeline.push({
      start,
      end: this.#now(),
      taskId: attribution.taskId,
      role: attribution.role,
      model: entry?.model ?? this.#inner.catalog.get(model).id,
      attempt: attribution.attempt ?? 1,
      outcome,
      ...(entry ? { entryId: entry.id, cost: entry.cost.total, retries: entry.retries } : {}),
    });
  }
}
