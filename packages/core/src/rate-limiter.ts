import { defaultCatalog, type ModelCatalog } from './catalog/model-catalog.js';
import { RATE_LIMIT_WINDOW_MS } from './constants.js';
import { AbortError, ArmyError, ERROR_CODES, invalidOption } from './errors.js';

/** Per-minute limits of one model. Omit a field to leave it unlimited. */
export interface RateLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Input tokens per minute (uncached input + cache writes; cache reads do not count). */
  itpm?: number;
  /** Output tokens per minute (`max_tokens` is held at the start and corrected at the end). */
  otpm?: number;
}

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Known limits per model id. Learned limits from response headers replace these. */
  limits?: Record<string, RateLimits>;
  /**
   * Learn limits and remaining capacity from `anthropic-ratelimit-*` headers.
   * @default true
   */
  learn?: boolean;
  /**
   * For a model with no configured limits, let one request through and hold
   * the rest until its response headers say what the limits are, so a cold
   * fan-out of hundreds never bursts past a limit it has not seen yet.
   * @default true
   */
  probeUnknown?: boolean;
  /**
   * Resolves aliases in `limits` (and every call) to canonical model ids, so
   * limits keyed by a dated alias apply to the model the gateway calls.
   * @default the default catalog
   */
  catalog?: ModelCatalog;
  /** @default Date.now */
  now?: () => number;
}

/** What one request will use. */
export interface RateLimitRequest {
  model: string;
  /** Estimated input tokens that count toward ITPM. */
  inputTokens: number;
  /** `max_tokens` of the request. */
  outputTokens: number;
}

/** A granted slot. Settle it with the real usage, or release it when the request failed. */
export interface RateLimitTicket {
  readonly model: string;
  /** Corrects the token buckets to what the request really used. */
  settle(actual: { inputTokens: number; outputTokens: number }): void;
  /** The request was not served: give back the held tokens (the request itself still counts). */
  release(): void;
}

/** A snapshot of one model's buckets. */
export interface RateLimitStats {
  model: string;
  limits: RateLimits;
  available: { requests?: number; inputTokens?: number; outputTokens?: number };
  waiting: number;
  inFlight: number;
  learned: boolean;
  pausedUntil?: number;
}

interface Bucket {
  limit: number;
  available: number;
}

interface Waiter {
  request: RateLimitRequest;
  resolve: (ticket: RateLimitTicket) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface ModelState {
  model: string;
  requests?: Bucket;
  input?: Bucket;
  output?: Bucket;
  updatedAt: number;
  learned: boolean;
  probing: boolean;
  pausedUntil: number;
  inFlight: number;
  queue: Waiter[];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires, ms on the limiter's clock. */
  timerAt: number;
}

const HEADER_KINDS = [
  ['requests', 'requests'],
  ['input-tokens', 'input'],
  ['output-tokens', 'output'],
] as const;

function bucket(limit: number | undefined, name: string): Bucket | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isFinite(limit) || limit <= 0) throw invalidOption(name, 'a number > 0', limit);
  return { limit, available: limit };
}

function refillBucket(current: Bucket | undefined, elapsedMs: number): void {
  if (current)
    current.available = Math.min(
      current.limit,
      current.available + (elapsedMs * current.limit) / RATE_LIMIT_WINDOW_MS,
    );
}

/** ms until the bucket holds `need` (0 when it does, or when there is no such limit). */
function waitFor(current: Bucket | undefined, need: number): number {
  if (!current || current.available >= need) return 0;
  return ((need - current.available) * RATE_LIMIT_WINDOW_MS) / current.limit;
}

/**
 * Client-side token buckets per model (requests, input tokens and output
 * tokens per minute) that learn the real limits and remaining capacity from
 * the API's `anthropic-ratelimit-*` headers, so a fan-out waits before it
 * would be refused rather than after. Waiters are served first in, first out.
 *
 * Why hand-written: the limiter must hold three coupled buckets per model,
 * refund unused `max_tokens` after the fact and re-synchronise from server
 * headers, which no general-purpose limiter library models.
 */
export class RateLimiter {
  readonly #models = new Map<string, ModelState>();
  readonly #configured: Record<string, RateLimits>;
  readonly #learn: boolean;
  readonly #probeUnknown: boolean;
  readonly #now: () => number;
  readonly #catalog: ModelCatalog;

  constructor(options: RateLimiterOptions = {}) {
    this.#catalog = options.catalog ?? defaultCatalog;
    this.#configured = { ...(options.limits ?? {}) };
    this.#learn = options.learn ?? true;
    this.#probeUnknown = options.probeUnknown ?? true;
    this.#now = options.now ?? Date.now;
    for (const [model, limits] of Object.entries(this.#configured)) this.setLimits(model, limits);
  }

  #state(idOrAlias: string): ModelState {
    // Unknown ids are kept as given: a limiter may front models the catalog lacks.
    const model = this.#catalog.find(idOrAlias)?.id ?? idOrAlias;
    let state = this.#models.get(model);
    if (!state) {
      state = {
        model,
        updatedAt: this.#now(),
        learned: false,
        probing: false,
        pausedUntil: 0,
        inFlight: 0,
        queue: [],
        timer: undefined,
        timerAt: 0,
      };
      this.#models.set(model, state);
    }
    return state;
  }

  /** Sets (or replaces) a model's limits; capacity starts full. */
  setLimits(model: string, limits: RateLimits): void {
    const state = this.#state(model);
    this.#refill(state);
    state.requests = bucket(limits.rpm, `limits.${model}.rpm`);
    state.input = bucket(limits.itpm, `limits.${model}.itpm`);
    state.output = bucket(limits.otpm, `limits.${model}.otpm`);
    state.learned = true;
    this.#pump(state);
  }

  #refill(state: ModelState): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - state.updatedAt);
    state.updatedAt = now;
    if (elapsed === 0) return;
    refillBucket(state.requests, elapsed);
    refillBucket(state.input, elapsed);
    refillBucket(state.output, elapsed);
  }

  /** Waits until the model's buckets can take the request, then holds its share. */
  acquire(
    request: RateLimitRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<RateLimitTicket> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const state = this.#state(request.model);
    return new Promise<RateLimitTicket>((resolve, reject) => {
      const waiter: Waiter = {
        request,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = state.queue.indexOf(waiter);
          if (index >= 0) state.queue.splice(index, 1);
          reject(new AbortError(undefined, { cause: signal?.reason }));
          this.#pump(state);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      state.queue.push(waiter);
      this.#pump(state);
    });
  }

  /** Why a request can never be served under the model's limits, if it cannot. */
  #unsatisfiable(state: ModelState, request: RateLimitRequest): ArmyError | undefined {
    if (state.input && request.inputTokens > state.input.limit) {
      return new ArmyError(
        ERROR_CODES.RATE_LIMIT_UNSATISFIABLE,
        `A request of about ${request.inputTokens} input tokens can never fit ${request.model}'s limit of ` +
          `${state.input.limit} input tokens per minute; split the prompt or cache its stable prefix.`,
      );
    }
    if (state.output && request.outputTokens > state.output.limit) {
      return new ArmyError(
        ERROR_CODES.RATE_LIMIT_UNSATISFIABLE,
        `max_tokens ${request.outputTokens} can never fit ${request.model}'s limit of ${state.output.limit} ` +
          'output tokens per minute (the API holds max_tokens while a request runs); lower max_tokens.',
      );
    }
    return undefined;
  }

  #pump(state: ModelState): void {
    this.#refill(state);
    while (state.queue.length > 0) {
      const now = this.#now();
      if (state.pausedUntil > now) {
        this.#schedule(state, state.pausedUntil - now);
        return;
      }
      const probe = this.#probeUnknown && !state.learned;
      if (probe && state.probing) return; // the probe's response will pump again
      const waiter = state.queue[0] as Waiter;
      const impossible = this.#unsatisfiable(state, waiter.request);
      if (impossible) {
        state.queue.shift();
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(impossible);
        continue;
      }
      const { request } = waiter;
      const waitMs = Math.max(
        waitFor(state.requests, 1),
        waitFor(state.input, request.inputTokens),
        waitFor(state.output, request.outputTokens),
      );
      if (waitMs > 0) {
        this.#schedule(state, Math.ceil(waitMs));
        return;
      }
      state.queue.shift();
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      if (state.requests) state.requests.available -= 1;
      if (state.input) state.input.available -= request.inputTokens;
      if (state.output) state.output.available -= request.outputTokens;
      if (probe) state.probing = true;
      state.inFlight += 1;
      waiter.resolve(this.#ticket(state, request, probe));
    }
    // Nobody waits: no wake-up is needed.
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  /**
   * Wakes the pump in `delayMs`. A wake-up armed for no later is kept (it
   * pumps again, and re-arms if that was too early), so a busy model does
   * not re-arm its timer on every grant and settle.
   */
  #schedule(state: ModelState, delayMs: number): void {
    const wait = Math.max(1, delayMs);
    const at = this.#now() + wait;
    if (state.timer) {
      if (state.timerAt <= at) return;
      clearTimeout(state.timer);
    }
    state.timerAt = at;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.#pump(state);
    }, wait);
  }

  #ticket(state: ModelState, request: RateLimitRequest, probe: boolean): RateLimitTicket {
    let done = false;
    const finish = (actual: { inputTokens: number; outputTokens: number } | undefined): void => {
      if (done) return;
      done = true;
      state.inFlight -= 1;
      this.#refill(state);
      const heldInput = request.inputTokens;
      const heldOutput = request.outputTokens;
      if (state.input)
        state.input.available = Math.min(
          state.input.limit,
          state.input.available + heldInput - (actual?.inputTokens ?? 0),
        );
      if (state.output) {
        state.output.available = Math.min(
          state.output.limit,
          state.output.available + heldOutput - (actual?.outputTokens ?? 0),
        );
      }
      if (probe) {
        state.probing = false;
        // A probe that was answered taught us the limits (or that the API sends none).
        if (actual) state.learned = true;
      }
      this.#pump(state);
    };
    return {
      model: request.model,
      settle: (actual) => finish(actual),
      release: () => finish(undefined),
    };
  }

  /**
   * Learns limits and remaining capacity from a response's headers. Local
   * capacity only ever goes down to what the server reports, never up, since
   * requests still in flight may not have reached it yet.
   */
  observe(model: string, headers: Headers | undefined): void {
    if (!this.#learn || !headers) return;
    const state = this.#state(model);
    this.#refill(state);
    let sawAny = false;
    for (const [kind, key] of HEADER_KINDS) {
      const limit = Number(headers.get(`anthropic-ratelimit-${kind}-limit`));
      const remainingText = headers.get(`anthropic-ratelimit-${kind}-remaining`);
      if (!Number.isFinite(limit) || limit <= 0) continue;
      sawAny = true;
      const current = state[key] ?? { limit, available: limit };
      if (current.limit !== limit)
        current.available = Math.min(limit, current.available + Math.max(0, limit - current.limit));
      current.limit = limit;
      const remaining = remainingText === null ? Number.NaN : Number(remainingText);
      if (Number.isFinite(remaining)) current.available = Math.min(current.available, remaining);
      state[key] = current;
    }
    if (sawAny) state.learned = true;
    this.#pump(state);
  }

  /** Holds every request for a model until `until` (ms since epoch), e.g. after a 429's `retry-after`. */
  pause(model: string, until: number): void {
    const state = this.#state(model);
    state.pausedUntil = Math.max(state.pausedUntil, until);
    this.#pump(state);
  }

  /** A snapshot of a model's buckets. */
  stats(model: string): RateLimitStats {
    const state = this.#state(model);
    this.#refill(state);
    const limits: RateLimits = {};
    if (state.requests) limits.rpm = state.requests.limit;
    if (state.input) limits.itpm = state.input.limit;
    if (state.output) limits.otpm = state.output.limit;
    const stats: RateLimitStats = {
      model: state.model,
      limits,
      available: {
        ...(state.requests ? { requests: state.requests.available } : {}),
        ...(state.input ? { inputTokens: state.input.available } : {}),
        ...(state.output ? { outputTokens: state.output.available } : {}),
      },
      waiting: state.queue.length,
      inFlight: state.inFlight,
      learned: state.learned,
    };
    if (state.pausedUntil > this.#now()) stats.pausedUntil = state.pausedUntil;
    return stats;
  }
}
