import { CACHE_TTL_MS } from './constants.js';
import type { Breakpoint, PromptLayout, PromptSection } from './internal/prompt-blocks.js';

/**
 * Cache tokens of one cacheable breakpoint: the segment of the prompt from
 * the previous cacheable breakpoint to this one was read from the cache or
 * written to it.
 */
export interface CacheBreakdownItem {
  /** Where the breakpoint sits. */
  breakpoint: PromptSection;
  /** Tokens from the start of the prompt through the breakpoint. */
  prefixTokens: number;
  ttl: '5m' | '1h';
  /** Tokens of this segment written to the cache (0 when read). */
  written: number;
  /** Tokens of this segment read from the cache (0 when written). */
  read: number;
}

/** One cached prompt prefix. */
export interface CacheEntry {
  model: string;
  hash: string;
  tokens: number;
  ttl: '5m' | '1h';
  /** When the entry was written (the writing response began), ms on the fake's clock. */
  writtenAt: number;
  /** When it expires unless read again, ms on the fake's clock. */
  expiresAt: number;
}

/** How one request's prompt splits into cache reads, cache writes and plain input. */
export interface CacheAccounting {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** The breakpoint that was read, if any. */
  hit: Breakpoint | undefined;
  /** Breakpoints to write once the response begins. */
  writes: Breakpoint[];
  /** Reads and writes per cacheable breakpoint, in prompt order. */
  breakdown: CacheBreakdownItem[];
}

/**
 * The fake's prompt cache. A SIMULATION of the documented behaviour:
 *
 * - only prefixes ending at a `cache_control` breakpoint are cached, keyed by
 *   model and a hash of every block up to the breakpoint;
 * - a prefix shorter than the model's `minCacheableTokens` is silently not cached;
 * - an entry becomes readable when the response that wrote it begins (see
 *   {@link PromptCache.commit}), so concurrent identical requests all write;
 * - entries live 5 minutes (or 1 hour with `ttl: '1h'`), refreshed on each read.
 *
 * The real API also looks for hits a few blocks before each breakpoint; the
 * fake only checks the breakpoints themselves.
 */
export class PromptCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #now: () => number;

  constructor(options: { now: () => number }) {
    this.#now = options.now;
  }

  #key(model: string, hash: string): string {
    return `${model}:${hash}`;
  }

  #live(model: string, hash: string, now: number): CacheEntry | undefined {
    const key = this.#key(model, hash);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Splits a prompt into reads, writes and input without changing the cache.
   * Tokens before the longest readable cached prefix are reads; tokens from
   * there to the last cacheable breakpoint are writes (at each breakpoint's
   * TTL); the rest is input.
   */
  account(model: string, minCacheableTokens: number, layout: PromptLayout): CacheAccounting {
    const now = this.#now();
    const cacheable = layout.breakpoints.filter(
      (breakpoint) => breakpoint.prefixTokens >= minCacheableTokens,
    );
    let hit: Breakpoint | undefined;
    for (let index = cacheable.length - 1; index >= 0 && !hit; index -= 1) {
      const candidate = cacheable[index]!;
      if (this.#live(model, candidate.hash, now)) hit = candidate;
    }
    const read = hit?.prefixTokens ?? 0;
    const writes = cacheable.filter((breakpoint) => breakpoint.prefixTokens > read);
    let previous = 0;
    let write5m = 0;
    let write1h = 0;
    const breakdown: CacheBreakdownItem[] = [];
    for (const breakpoint of cacheable) {
      const segment = breakpoint.prefixTokens - previous;
      previous = breakpoint.prefixTokens;
      const isRead = breakpoint.prefixTokens <= read;
      if (!isRead) {
        if (breakpoint.ttl === '1h') write1h += segment;
        else write5m += segment;
      }
      breakdown.push({
        breakpoint: breakpoint.section,
        prefixTokens: breakpoint.prefixTokens,
        ttl: breakpoint.ttl,
        written: isRead ? 0 : segment,
        read: isRead ? segment : 0,
      });
    }
    return {
      inputTokens: layout.totalTokens - read - write5m - write1h,
      cacheReadTokens: read,
      cacheWrite5mTokens: write5m,
      cacheWrite1hTokens: write1h,
      hit,
      writes,
      breakdown,
    };
  }

  /** Refreshes the TTL of the entry a request read. */
  touch(model: string, breakpoint: Breakpoint): void {
    const now = this.#now();
    const entry = this.#live(model, breakpoint.hash, now);
    if (entry) entry.expiresAt = now + CACHE_TTL_MS[entry.ttl];
  }

  /** Makes written prefixes readable. Called when the writing response begins. */
  commit(model: string, writes: readonly Breakpoint[]): void {
    const now = this.#now();
    for (const breakpoint of writes) {
      const existing = this.#live(model, breakpoint.hash, now);
      const ttl = existing?.ttl === '1h' ? '1h' : breakpoint.ttl;
      this.#entries.set(this.#key(model, breakpoint.hash), {
        model,
        hash: breakpoint.hash,
        tokens: breakpoint.prefixTokens,
        ttl,
        writtenAt: existing?.writtenAt ?? now,
        expiresAt: now + CACHE_TTL_MS[ttl],
      });
    }
  }

  /** Live entries (expired ones are dropped). */
  entries(): CacheEntry[] {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    return [...this.#entries.values()].map((entry) => ({ ...entry }));
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
