import { DEFAULT_FAULT_RETRY_AFTER_MS } from './constants.js';
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

/** Random faults for every model, with optional per-model overrides. */
export interface FaultOptions extends FaultRates {
  /** Rates for specific models; replace the top-level rates for that model. */
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

function checkRates(where: string, rates: FaultRates): void {
  let sum = 0;
  for (const [key] of RATE_ORDER) {
    const value = rates[key] ?? 0;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new TypeError(
        `Expected \`${where}.${key}\` to be a probability from 0 to 1, got ${String(value)}.`,
      );
    }
    sum += value;
  }
  if (sum > 1)
    throw new TypeError(
      `Expected the fault rates in \`${where}\` to sum to at most 1, got ${sum}.`,
    );
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
  readonly #random: Random;
  readonly #randoms = new Map<string, Random>();
  #options: FaultOptions;

  constructor(options: { random: Random; faults?: FaultOptions }) {
    this.#random = options.random;
    this.#options = {};
    this.configure(options.faults ?? {});
  }

  /** Replaces the random fault rates. */
  configure(options: FaultOptions): void {
    checkRates('faults', options);
    for (const [model, rates] of Object.entries(options.models ?? {}))
      checkRates(`faults.models.${model}`, rates);
    this.#options = { ...options };
  }

  /**
   * Queues a fault for the next matching request (`times` matching requests
   * in a row). The model can be given in the fault or in `target`.
   */
  enqueue(fault: Fault & FaultTarget, target: FaultTarget & { times?: number } = {}): void {
    const times = target.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new TypeError(`Expected \`times\` to be an integer >= 1, got ${String(times)}.`);
    }
    const { model: faultModel, ...bare } = fault;
    const model = target.model ?? faultModel;
    for (let index = 0; index < times; index += 1) {
      this.#queue.push({ fault: bare as Fault, target: model ? { model } : {} });
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
    if (index >= 0) return this.#queue.splice(index, 1)[0]!.fault;

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

  /** Forgets per-model random streams so the next draws restart from the seed. @internal */
  resetRandom(): void {
    this.#randoms.clear();
  }
}
