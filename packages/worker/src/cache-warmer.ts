import { createHash } from 'node:crypto';
import { AbortError, invalidOption } from '@haiku-army/core';

/** How long a cache entry lives after its last use: the API's default TTL (5 minutes). */
export const DEFAULT_CACHE_WARMER_TTL_MS = 300_000;

/** The TTL of a prefix cached with `ttl: '1h'`. */
export const ONE_HOUR_CACHE_TTL_MS = 3_600_000;

/** Options for {@link CacheWarmer}. */
export interface CacheWarmerOptions {
  /**
   * How long the cache entry lives after the last response that used it
   * (each read refreshes it). Once that much time has passed since the
   * last reported response, the warmer is cold again and the next caller
   * warms the prefix. Use {@link ONE_HOUR_CACHE_TTL_MS} for a prefix
   * cached with `ttl: '1h'`.
   * @default 300000 (5 minutes)
   */
  ttlMs?: number;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
}

/**
 * Reports how the first call let through by {@link CacheWarmer.acquire}
 * ended: `true` once it has a response (the cache entry is written and
 * readable, or was read and so refreshed), `false` when it failed or was
 * cancelled before one. Only the first report counts.
 */
export type CacheWarmerRelease = (responded: boolean) => void;

/**
 * Makes N parallel calls that share a cached prefix pay for one cache write
 * instead of N. The API makes a cache entry readable only once the response
 * that wrote it has begun, so calls started together would all write the
 * same prefix. A warmer lets the first caller through and holds every other
 * caller until that call has its response; if it fails (no response), the
 * next waiter becomes the warmer.
 *
 * The cache entry expires once its TTL has passed since it was last used,
 * so a warmer goes cold again `ttlMs` after the last response reported
 * through a release (the warming call's, or any later caller's).
 *
 * Use one warmer per cached prefix (model, tools and system: see
 * {@link cacheWarmerKey}). A {@link WorkerPool} creates its own per prefix,
 * or shares the map passed as `cacheWarmers`; an orchestrator can drive one
 * directly around any call.
 *
 * @example
 * const warmer = new CacheWarmer();
 * const release = await warmer.acquire(signal);
 * try {
 *   const response = await gateway.call(request, attribution, { signal });
 *   release(true);
 *   return response;
 * } finally {
 *   release(false); // a no-op once release(true) was called
 * }
 */
export class CacheWarmer {
  #state: 'cold' | 'warming' | 'warm' = 'cold';
  /** When the last response using the prefix was reported (for the TTL). */
  #lastResponse = 0;
  readonly #waiters = new Set<() => void>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: CacheWarmerOptions = {}) {
    if (!options || typeof options !== 'object')
      throw invalidOption('options', 'an object { ttlMs?, now? }', options);
    const ttlMs = options.ttlMs ?? DEFAULT_CACHE_WARMER_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0)
      throw invalidOption('ttlMs', 'a positive number of milliseconds', ttlMs);
    if (options.now !== undefined && typeof options.now !== 'function')
      throw invalidOption('now', 'a function returning milliseconds', options.now);
    this.#ttlMs = ttlMs;
    this.#now = options.now ?? Date.now;
  }

  /** The cache TTL this warmer assumes, milliseconds. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * Whether a call has had its response within the TTL (later callers pass
   * at once). Past the TTL the warmer is cold again.
   */
  get warm(): boolean {
    this.#expire();
    return this.#state === 'warm';
  }

  /** Callers held until the warming call has its response. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Waits for this caller's turn. Resolves at once when the prefix is warm
   * (the release is then a no-op), or when nobody is warming it (this caller
   * becomes the warmer and must report with the release). Otherwise waits
   * for the warming call to end.
   *
   * @throws AbortError (code `ABORTED`) when `signal` fires first; the caller
   *   holds nothing then.
   */
  async acquire(signal?: AbortSignal): Promise<CacheWarmerRelease> {
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      this.#expire();
      if (this.#state === 'warm') {
        // A read refreshes the entry: its response restarts the TTL.
        let reported = false;
        return (responded) => {
          if (reported) return;
          reported = true;
          if (responded && this.#state === 'warm') this.#lastResponse = this.#now();
        };
      }
      if (this.#state === 'cold') {
        this.#state = 'warming';
        let reported = false;
        return (responded) => {
          if (reported) return;
          reported = true;
          this.#state = responded ? 'warm' : 'cold';
          if (responded) this.#lastResponse = this.#now();
          this.#wakeAll();
        };
      }
      await this.#wait(signal);
    }
  }

  /**
   * Marks a warm prefix cold again (its cache entry has expired, say), so
   * the next caller warms it. Does nothing while a warming call is running.
   */
  reset(): void {
    if (this.#state === 'warm') this.#state = 'cold';
  }

  /** A warm prefix whose TTL has passed since its last response is cold. */
  #expire(): void {
    if (this.#state === 'warm' && this.#now() - this.#lastResponse >= this.#ttlMs)
      this.#state = 'cold';
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/** The parts of a Messages request that make up its cached prefix. */
export interface CachePrefix {
  /** The model id (each model has its own cache). */
  model: string;
  /** The request's `tools`, as sent (they precede the system prompt in the prefix). */
  tools?: readonly unknown[] | undefined;
  /** The request's `system`, as sent. */
  system?: unknown;
}

/**
 * The key of a cached prefix: requests with the same model, tools and
 * system get the same key, so they can share one {@link CacheWarmer}.
 * `model` is kept readable at the start; the rest is a SHA-256.
 *
 * @example
 * const warmer = warmers.get(cacheWarmerKey(request)) ?? new CacheWarmer();
 */
export function cacheWarmerKey(prefix: CachePrefix): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([prefix.tools ?? [], prefix.system ?? null]))
    .digest('hex');
  return `${prefix.model}:${digest}`;
}
