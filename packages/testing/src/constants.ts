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

/** Tokens an image or a binary document block counts as. */
export const MEDIA_BLOCK_TOKENS = 1_600;

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
