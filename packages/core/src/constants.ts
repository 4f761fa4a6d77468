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

/** Input tokens the reservation allows per image: the most the API bills one (it resizes larger images). */
export const IMAGE_TOKEN_ALLOWANCE = 1_600;

/** Extra input tokens the API adds when a request defines tools (its tool-use system prompt). */
export const TOOL_PROMPT_ALLOWANCE = 1_024;

/** The smallest `max_tokens` the gateway lowers a call to so that it fits a budget. */
export const DEFAULT_MIN_OUTPUT_TOKENS = 256;

/** The longest server `retry-after` the gateway honours, ms. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** Exact input counts (`count_tokens`) the gateway keeps, by request hash. */
export const COUNT_CACHE_SIZE = 512;
