import { invalidOption, type ModelCatalog } from '@haiku-army/core';
import { DEFAULT_MODEL_LIMITS } from './constants.js';
import { canonicalModel } from './internal/model-key.js';

/** Per-minute limits of one model. Omitted fields use `defaultLimits`. */
export interface ModelLimits {
  /** Requests per minute. @default 4,000 */
  rpm?: number;
  /** Input tokens per minute (uncached input + cache writes; cache reads are free). @default 4,000,000 */
  itpm?: number;
  /** Output tokens per minute (`max_tokens` reserved at the start, corrected at the end). @default 800,000 */
  otpm?: number;
}

/** Options for {@link RateLimits}. */
export interface RateLimitsOptions {
  /** Clock in ms. */
  now: () => number;
  /** Limits per model id or alias. @default {} (every model uses `defaultLimits`) */
  limits?: Record<string, ModelLimits>;
  /** Limits of models not in `limits`. @default 4,000 RPM, 4M ITPM, 800K OTPM */
  defaultLimits?: ModelLimits;
  /**
   * Resolves aliases, so `limits` keyed by an alias apply to the model, and
   * rejects unknown models. @default none (ids are used as given)
   */
  catalog?: ModelCatalog;
}

/** A token bucket with continuous refill: `capacity` per minute. */
class TokenBucket {
  level: number;
  #updatedAt: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.#updatedAt = now;
  }

  refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.level = Math.min(this.capacity, this.level + (elapsed * this.capacity) / 60_000);
    this.#updatedAt = now;
  }

  /** ms until `amount` is available (Infinity when it never fits). */
  waitFor(amount: number): number {
    if (amount > this.capacity) return Number.POSITIVE_INFINITY;
    if (this.level >= amount) return 0;
    return ((amount - this.level) * 60_000) / this.capacity;
  }

  /** ms until the bucket is full again. */
  untilFull(): number {
    return ((this.capacity - this.level) * 60_000) / this.capacity;
  }
}

interface Buckets {
  requests: TokenBucket;
  input: TokenBucket;
  output: TokenBucket;
}

/** The outcome of {@link RateLimits.acquire}. */
export type AcquireResult =
  | { ok: true; headers: Record<string, string> }
  | {
      ok: false;
      headers: Record<string, string>;
      /** Which limit was hit. */
      limit: 'requests' | 'input_tokens' | 'output_tokens';
      retryAfterMs: number;
      message: string;
    };

/** A snapshot of one model's buckets. */
export interface LimitState {
  rpm: { limit: number; remaining: number };
  itpm: { limit: number; remaining: number };
  otpm: { limit: number; remaining: number };
}

function rfc3339(ms: number): string {
  // Whole seconds, rounded up, as the API sends them.
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOption(name, 'a number > 0', value);
  }
  return value;
}

/**
 * Per-model RPM, ITPM and OTPM token buckets with continuous refill, as the
 * real API enforces them. A SIMULATION: one organisation, one workspace.
 */
export class RateLimits {
  readonly #now: () => number;
  readonly #catalog: ModelCatalog | undefined;
  readonly #config = new Map<string, Required<ModelLimits>>();
  readonly #buckets = new Map<string, Buckets>();
  #defaults: Required<ModelLimits>;

  constructor(options: RateLimitsOptions) {
    this.#now = options.now;
    this.#catalog = options.catalog;
    this.#defaults = this.#complete('defaultLimits', options.defaultLimits, DEFAULT_MODEL_LIMITS);
    for (const [model, limits] of Object.entries(options.limits ?? {})) this.set(model, limits);
  }

  #complete(
    name: string,
    limits: ModelLimits | undefined,
    base: Required<ModelLimits>,
  ): Required<ModelLimits> {
    if (limits === undefined) return base;
    if (typeof limits !== 'object' || limits === null) {
      throw invalidOption(name, 'an object { rpm?, itpm?, otpm? }', limits);
    }
    return {
      rpm: positive(`${name}.rpm`, limits.rpm, base.rpm),
      itpm: positive(`${name}.itpm`, limits.itpm, base.itpm),
      otpm: positive(`${name}.otpm`, limits.otpm, base.otpm),
    };
  }

  #id(model: string): string {
    return this.#catalog ? canonicalModel(this.#catalog, 'limits', model) : model;
  }

  /** Sets (or replaces) one model's limits (id or alias) and refills its buckets. */
  set(model: string, limits: ModelLimits): void {
    const id = this.#id(model);
    this.#config.set(id, this.#complete(`limits.${model}`, limits, this.#defaults));
    this.#buckets.delete(id);
  }

  /** The limits in force for a model (id or alias). */
  limitsOf(model: string): Required<ModelLimits> {
    return this.#config.get(this.#id(model)) ?? this.#defaults;
  }

  #bucketsOf(model: string, now: number): Buckets {
    const id = this.#id(model);
    let buckets = this.#buckets.get(id);
    if (!buckets) {
      const limits = this.#config.get(id) ?? this.#defaults;
      buckets = {
        requests: new TokenBucket(limits.rpm, now),
        input: new TokenBucket(limits.itpm, now),
        output: new TokenBucket(limits.otpm, now),
      };
      this.#buckets.set(id, buckets);
    }
    buckets.requests.refill(now);
    buckets.input.refill(now);
    buckets.output.refill(now);
    return buckets;
  }

  /**
   * Takes one request, `inputTokens` and a reservation of `maxTokens` output
   * tokens, all or nothing.
   */
  acquire(model: string, cost: { inputTokens: number; maxTokens: number }): AcquireResult {
    const now = this.#now();
    const buckets = this.#bucketsOf(model, now);
    const checks = [
      { limit: 'requests' as const, bucket: buckets.requests, amount: 1, unit: 'requests' },
      {
        limit: 'input_tokens' as const,
        bucket: buckets.input,
        amount: cost.inputTokens,
        unit: 'input tokens',
      },
      {
        limit: 'output_tokens' as const,
        bucket: buckets.output,
        amount: cost.maxTokens,
        unit: 'output tokens',
      },
    ];
    for (const check of checks) {
      const wait = check.bucket.waitFor(check.amount);
      if (wait > 0) {
        const retryAfterMs = Number.isFinite(wait) ? wait : check.bucket.untilFull() || 60_000;
        return {
          ok: false,
          limit: check.limit,
          retryAfterMs,
          headers: this.#headersFor(buckets, now),
          message:
            `This request would exceed the rate limit for your organization of ${check.bucket.capacity} ` +
            `${check.unit} per minute for ${model}. Please reduce the prompt length or the maximum tokens ` +
            'requested, or try again later.',
        };
      }
    }
    for (const check of checks) check.bucket.level -= check.amount;
    return { ok: true, headers: this.#headersFor(buckets, now) };
  }

  /** Gives back the part of an output reservation that was not used. */
  settle(model: string, reservedOutput: number, actualOutput: number): void {
    const now = this.#now();
    const buckets = this.#bucketsOf(model, now);
    const refund = Math.max(0, reservedOutput - actualOutput);
    buckets.output.level = Math.min(buckets.output.capacity, buckets.output.level + refund);
  }

  /** The `anthropic-ratelimit-*` headers for a model right now. */
  headers(model: string): Record<string, string> {
    const now = this.#now();
    return this.#headersFor(this.#bucketsOf(model, now), now);
  }

  #headersFor(buckets: Buckets, now: number): Record<string, string> {
    const headers: Record<string, string> = {};
    const put = (name: string, bucket: TokenBucket) => {
      headers[`anthropic-ratelimit-${name}-limit`] = String(bucket.capacity);
      headers[`anthropic-ratelimit-${name}-remaining`] = String(
        Math.max(0, Math.floor(bucket.level)),
      );
      headers[`anthropic-ratelimit-${name}-reset`] = rfc3339(now + bucket.untilFull());
    };
    put('requests', buckets.requests);
    put('input-tokens', buckets.input);
    put('output-tokens', buckets.output);
    // `tokens-*` reports whichever token limit is currently most restrictive.
    const tighter =
      buckets.input.level / buckets.input.capacity <= buckets.output.level / buckets.output.capacity
        ? buckets.input
        : buckets.output;
    put('tokens', tighter);
    return headers;
  }

  /** Current bucket levels of a model. */
  state(model: string): LimitState {
    const buckets = this.#bucketsOf(model, this.#now());
    const view = (bucket: TokenBucket) => ({
      limit: bucket.capacity,
      remaining: Math.max(0, Math.floor(bucket.level)),
    });
    return { rpm: view(buckets.requests), itpm: view(buckets.input), otpm: view(buckets.output) };
  }

  /** Refills every bucket. */
  reset(): void {
    this.#buckets.clear();
  }
}
