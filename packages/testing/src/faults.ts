import { invalidOption, type ModelCatalog } from '@haiku-army/core';
import { DEFAULT_FAULT_RETRY_AFTER_MS } from './constants.js';
import { canonicalModel } from './internal/model-key.js';
import type { Random } from './random.js';

/** A fault the fake can inject into one `POST /v1/messages` request. */
export type Fault =
  /** 429 rate_limit_error with `retry-after-ms` and `retry-after` headers. */
  | { kind: 'rate_limit'; retryAfterMs?: number }
  /** 529 overloaded_error. */
  | { kind: 'overloaded'; retryAfterMs?: number }
  /** 500 api_error (503 api_error, 504 timeout_error). */
  | { kind: 'server_error'; status?: 500 | 503 | 504 }
  /** The connection drops before any response. */
  | { kind: 'disconnect' }
  /** Streaming only: the connection drops after `afterEvents` SSE events (default: half). */
  | { kind: 'stream_cut'; afterEvents?: number }
  /** Streaming only: an `event: error` (overloaded_error) after `afterEvents` events (default: half). */
  | { kind: 'stream_error_event'; afterEvents?: number }
  /** 400 invalid_request_error with this message. */
  | { kind: 'invalid_request'; message?: string };

/** The kinds of {@link Fault}. */
export type FaultKind = Fault['kind'];

/** Which requests a queued fault applies to. */
export interface FaultTarget {
  /** Only requests for this model id (canonical or alias as sent). @default any model */
  model?: string;
}

/** Probabilities (0..1) of each random fault, per `POST /v1/messages` request. */
export interface FaultRates {
  /** @default 0 */
  rateLimit?: number;
  /** @default 0 */
  overloaded?: number;
  /** @default 0 */
  serverError?: number;
  /** @default 0 */
  disconnect?: number;
  /** Streaming requests only. @default 0 */
  streamCut?: number;
  /** Streaming requests only. @default 0 */
  streamErrorEvent?: number;
}

/**
 * Probabilities (0..1) that one request of a Message Batch fails instead of
 * running: `errored` (an `api_error` result) or `expired`. Neither is billed.
 */
export interface BatchFaultRates {
  /** @default 0 */
  errored?: number;
  /** @default 0 */
  expired?: number;
}

/** What a batch fault does to one batch request. */
export type BatchFaultKind = 'errored' | 'expired';

/** Random faults for every model, with optional per-model overrides. */
export interface FaultOptions extends FaultRates {
  /** Rates for specific models (id or alias); replace the top-level rates for that model. @default {} */
  models?: Record<string, FaultRates>;
  /** `retry-after` of random 429/529 faults, ms. @default 1000 */
  retryAfterMs?: number;
}

const RATE_ORDER: readonly [keyof FaultRates, (retryAfterMs: number) => Fault][] = [
  ['rateLimit', (retryAfterMs) => ({ kind: 'rate_limit', retryAfterMs })],
  ['overloaded', (retryAfterMs) => ({ kind: 'overloaded', retryAfterMs })],
  ['serverError', () => ({ kind: 'server_error', status: 500 })],
  ['disconnect', () => ({ kind: 'disconnect' })],
  ['streamCut', () => ({ kind: 'stream_cut' })],
  ['streamErrorEvent', () => ({ kind: 'stream_error_event' })],
];

const STREAM_ONLY: ReadonlySet<FaultKind> = new Set(['stream_cut', 'stream_error_event']);

const KINDS: ReadonlySet<FaultKind> = new Set([
  'rate_limit',
  'overloaded',
  'server_error',
  'disconnect',
  'stream_cut',
  'stream_error_event',
  'invalid_request',
]);

function checkRates(where: string, rates: FaultRates): void {
  if (typeof rates !== 'object' || rates === null) {
    throw invalidOption(where, 'an object of fault probabilities', rates);
  }
  let sum = 0;
  for (const [key] of RATE_ORDER) {
    const value = rates[key] ?? 0;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw invalidOption(`${where}.${key}`, 'a probability from 0 to 1', value);
    }
    sum += value;
  }
  if (sum > 1) throw invalidOption(`the sum of the rates in ${where}`, 'at most 1', sum);
}

/**
 * Fault injection: a one-shot queue for deterministic tests, and seeded
 * random faults for soak runs. The queue is checked first.
 *
 * @example
 * fake.faults.enqueue({ kind: 'rate_limit', retryAfterMs: 20 });
 * fake.faults.enqueue({ kind: 'stream_cut' }, { model: 'claude-haiku-5-5' });
 */
export class FaultController {
  readonly #queue: { fault: Fault; target: FaultTarget }[] = [];
  /** Targets of queued faults handed out by `take`, so `restore` can put one back. */
  readonly #taken = new WeakMap<Fault, FaultTarget>();
  readonly #random: Random;
  readonly #randoms = new Map<string, Random>();
  readonly #catalog: ModelCatalog | undefined;
  #options: FaultOptions;
  #batchRates: Required<BatchFaultRates> = { errored: 0, expired: 0 };

  /**
   * @param options.random seeds the random faults (one stream per model).
   * @param options.faults the random fault rates. @default none
   * @param options.catalog resolves model aliases in `faults.models` and in
   *   queued faults' targets, and rejects unknown models. @default none (ids as given)
   */
  constructor(options: {
    random: Random;
    faults?: FaultOptions;
    batchFaults?: BatchFaultRates;
    catalog?: ModelCatalog;
  }) {
    this.#random = options.random;
    this.#catalog = options.catalog;
    this.#options = {};
    this.configure(options.faults ?? {});
    this.configureBatch(options.batchFaults ?? {});
  }

  #id(option: string, model: string): string {
    return this.#catalog ? canonicalModel(this.#catalog, option, model) : model;
  }

  /** Replaces the random fault rates. */
  configure(options: FaultOptions): void {
    checkRates('faults', options);
    const models: Record<string, FaultRates> = {};
    for (const [model, rates] of Object.entries(options.models ?? {})) {
      checkRates(`faults.models.${model}`, rates);
      models[this.#id('faults.models', model)] = rates;
    }
    const retryAfterMs = options.retryAfterMs;
    if (
      retryAfterMs !== undefined &&
      (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0)
    ) {
      throw invalidOption('faults.retryAfterMs', 'a number of milliseconds >= 0', retryAfterMs);
    }
    this.#options = { ...options, models };
  }

  /** Replaces the random batch fault rates (`batchFaults`). */
  configureBatch(rates: BatchFaultRates): void {
    if (typeof rates !== 'object' || rates === null)
      throw invalidOption('batchFaults', 'an object { errored?, expired? }', rates);
    const errored = rates.errored ?? 0;
    const expired = rates.expired ?? 0;
    for (const [key, value] of [
      ['errored', errored],
      ['expired', expired],
    ] as const) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1))
        throw invalidOption(`batchFaults.${key}`, 'a probability from 0 to 1', value);
    }
    if (errored + expired > 1)
      throw invalidOption('the sum of the rates in batchFaults', 'at most 1', errored + expired);
    this.#batchRates = { errored, expired };
  }

  /**
   * The random fault for one request of a batch, if any. The draw depends
   * only on the seed, the batch id and the custom id, never on the order
   * batches are processed in, so the same requests fail on every replay.
   * @internal
   */
  takeBatch(batchId: string, customId: string): BatchFaultKind | undefined {
    const { errored, expired } = this.#batchRates;
    if (errored === 0 && expired === 0) return undefined;
    const draw = this.#random.fork(`batch-faults:${batchId}/${customId}`).next();
    if (draw < errored) return 'errored';
    if (draw < errored + expired) return 'expired';
    return undefined;
  }

  /**
   * Queues a fault for the next matching request (`times` matching requests
   * in a row). The model can be given in the fault or in `target`.
   */
  enqueue(fault: Fault & FaultTarget, target: FaultTarget & { times?: number } = {}): void {
    const times = target.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw invalidOption('times', 'an integer >= 1', times);
    if (!fault || !KINDS.has(fault.kind)) {
      throw invalidOption('fault.kind', `one of ${[...KINDS].join(', ')}`, fault?.kind);
    }
    const { model: faultModel, ...bare } = fault;
    const named = target.model ?? faultModel;
    const model = named === undefined ? undefined : this.#id('model', named);
    for (let index = 0; index < times; index += 1) {
      this.#queue.push({ fault: { ...bare } as Fault, target: model ? { model } : {} });
    }
  }

  /** Queued faults not yet used. */
  pending(): readonly { fault: Fault; target: FaultTarget }[] {
    return [...this.#queue];
  }

  /** Empties the queue (random rates stay). */
  clear(): void {
    this.#queue.length = 0;
  }

  /**
   * The fault for one request, if any: the first queued fault that matches
   * (stream-only faults wait for a streaming request), else a random draw.
   * @internal
   */
  take(request: { model: string; canonicalModel: string; stream: boolean }): Fault | undefined {
    const index = this.#queue.findIndex(({ fault, target }) => {
      if (target.model && target.model !== request.model && target.model !== request.canonicalModel)
        return false;
      return request.stream || !STREAM_ONLY.has(fault.kind);
    });
    if (index >= 0) {
      const { fault, target } = this.#queue.splice(index, 1)[0]!;
      this.#taken.set(fault, target);
      return fault;
    }

    const rates =
      this.#options.models?.[request.canonicalModel] ??
      this.#options.models?.[request.model] ??
      this.#options;
    const any = RATE_ORDER.some(([key]) => (rates[key] ?? 0) > 0);
    if (!any) return undefined;
    let random = this.#randoms.get(request.canonicalModel);
    if (!random) {
      random = this.#random.fork(`faults:${request.canonicalModel}`);
      this.#randoms.set(request.canonicalModel, random);
    }
    // One draw per request, whatever the outcome, so a sequence replays exactly.
    const draw = random.next();
    let cumulative = 0;
    for (const [key, make] of RATE_ORDER) {
      cumulative += rates[key] ?? 0;
      if (draw < cumulative) {
        const fault = make(this.#options.retryAfterMs ?? DEFAULT_FAULT_RETRY_AFTER_MS);
        return !request.stream && STREAM_ONLY.has(fault.kind) ? undefined : fault;
      }
    }
    return undefined;
  }

  /**
   * Puts a queued fault that {@link take} returned back at the head of the
   * queue, for a request refused before the fault could apply (e.g. a
   * `stream_cut` taken by a request that then got a 429). Random faults are
   * not put back. @internal
   */
  restore(fault: Fault): void {
    const target = this.#taken.get(fault);
    if (!target) return;
    this.#taken.delete(fault);
    this.#queue.unshift({ fault, target });
  }

  /** Forgets per-model random streams so the next draws restart from the seed. @internal */
  resetRandom(): void {
    this.#randoms.clear();
  }
}
