/** Behaviour-changing defaults, in one place. */

/** The reference model the ledger's baseline prices at. */
export const DEFAULT_BASELINE_MODEL = 'claude-opus-5-5';

/** Budget thresholds (share of a cap) that emit `budget:warning` and `budget:critical`. */
export const DEFAULT_WARNING_THRESHOLD = 0.8;
export const DEFAULT_CRITICAL_THRESHOLD = 0.95;

/** Gateway retries. */
export const DEFAULT_MAX_ATTEMPTS = 6;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;

/** Statuses the gateway retries (plus connection errors and a mid-stream `error` event). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([
  408, 409, 429, 500, 502, 503, 504, 529,
]);

/** The rate limiter's bucket window: Anthropic's limits are per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
