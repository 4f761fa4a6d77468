/**
 * Behaviour-changing constants of the fake API, in one place. Each one is a
 * simulation choice, documented in the README.
 */

/** Base URL the in-process (msw) fake answers on. */
export const DEFAULT_BASE_URL = 'http://fake-anthropic.local';

/** Most `cache_control` breakpoints one request may carry (as the real API). */
export const MAX_CACHE_BREAKPOINTS = 4;

/** Cache time-to-live for `ttl: '5m'` (the default) and `ttl: '1h'`, in ms. */
export const CACHE_TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/** Tokens added for each message's role framing. */
export const MESSAGE_OVERHEAD_TOKENS = 3;

/**
 * Default time to first byte per model tier, ms, used when `latency` does
 * not set one. Small, so test suites stay fast, but never zero: as on the
 * real API, requests sent together all arrive before the first response
 * begins, so they all write the cache (see
 * {@link DEFAULT_FIRST_BYTE_HOLD_MAX_MS}). `latency: 0` turns it off.
 */
export const DEFAULT_FIRST_BYTE_MS = { haiku: 60, sonnet: 70, opus: 80 } as const;

/**
 * With the default first byte only: a response that writes the cache waits
 * until a whole first-byte period has passed with no new request writing the
 * same prefix, up to this long, so a fan-out whose requests trickle in over a
 * busy machine still overlaps as it would against the real API's first byte
 * of hundreds of ms. Requests that only read, or write a prefix of their own,
 * are never held.
 */
export const DEFAULT_FIRST_BYTE_HOLD_MAX_MS = 1_000;

/** Most input tokens one image bills (the vendor's cap after resizing). */
export const IMAGE_MAX_TOKENS = 1_600;

/** Longest image edge, px, before the fake scales an image down (as the API resizes). */
export const IMAGE_MAX_EDGE_PX = 1_568;

/** Pixels per image token: an image bills ceil(width x height / 750) tokens, capped. */
export const IMAGE_PIXELS_PER_TOKEN = 750;

/** Input tokens one PDF page bills (a page image plus its extracted text, simulated). */
export const PDF_PAGE_TOKENS = 2_000;

/**
 * Pages a PDF is billed for when the fake cannot read it: a document by URL
 * or by file id, whose bytes the fake never sees.
 */
export const PDF_UNREADABLE_PAGES = 5;

/** Limits used for a model with no entry in `limits` (generous: like a high usage tier). */
export const DEFAULT_MODEL_LIMITS = { rpm: 4_000, itpm: 4_000_000, otpm: 800_000 } as const;

/** Delay before a batch ends, ms, measured on the injected clock. */
export const DEFAULT_BATCH_PROCESSING_MS = 50;

/** How long a batch's results stay available, ms (24 hours). */
export const BATCH_EXPIRY_MS = 24 * 60 * 60_000;

/** Retry-after sent with a random (probabilistic) 429 or 529 fault, ms. */
export const DEFAULT_FAULT_RETRY_AFTER_MS = 1_000;

/** Tokens per `text_delta` event when streaming. */
export const STREAM_TEXT_CHUNK_TOKENS = 8;

/** Characters per `input_json_delta` event when streaming. */
export const STREAM_JSON_CHUNK_CHARS = 48;

/** Value of `anthropic-version` this fake was written against. */
export const API_VERSION = '2026-10-21';
