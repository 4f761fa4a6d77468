import type {
  ArmyEvents,
  Attribution,
  CallOptions,
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
  /** Every call of the run, in the order they ended. */
  readonly timeline: TimelineEntry[] = [];

  constructor(inner: ModelGateway, options: RunGatewayOptions) {
    this.#inner = inner;
    this.#recorder = options.recorder;
    this.#now = options.now;
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

  async call(
    request: GatewayRequest,
    attribution: Attribution,
    options?: CallOptions,
  ): Promise<GatewayResponse> {
    const start = this.#now();
    try {
      const response = await this.#inner.call(request, attribution, options);
      await this.#settled(start, attribution, request.model, 'success', response.entry);
      return response;
    } catch (error) {
      const aborted = (error as { code?: string } | undefined)?.code === 'ABORTED';
      await this.#settled(
        start,
        attribution,
        request.model,
        aborted ? 'aborted' : 'error',
        entryOf(error),
      );
      throw error;
    }
  }

  stream(request: GatewayRequest, attribution: Attribution, options?: CallOptions): GatewayStream {
    const start = this.#now();
    const stream = this.#inner.stream(request, attribution, options);
    const result = stream.result.then(
      async (response) => {
        await this.#settled(start, attribution, request.model, 'success', response.entry);
        return response;
      },
      async (error: unknown) => {
        const aborted = (error as { code?: string } | undefined)?.code === 'ABORTED';
        await this.#settled(
          start,
          attribution,
          request.model,
          aborted ? 'aborted' : 'error',
          entryOf(error),
        );
        throw error;
      },
    );
    result.catch(() => {});
    return {
      result,
      finalMessage: async () => (await result).message,
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    };
  }

  async #settled(
    start: number,
    attribution: Attribution,
    model: string,
    outcome: TimelineEntry['outcome'],
    entry: LedgerEntry | undefined,
  ): Promise<void> {
    this.timeline.push({
      start,
      end: this.#now(),
      taskId: attribution.taskId,
      role: attribution.role,
      model: entry?.model ?? this.#inner.catalog.get(model).id,
      attempt: attribution.attempt ?? 1,
      outcome,
      ...(entry ? { entryId: entry.id, cost: entry.cost.total } : {}),
    });
    if (entry) await this.#recorder.ledgerEntry?.(entry);
  }
}
