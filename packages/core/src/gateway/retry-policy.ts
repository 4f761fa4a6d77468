import { AnthropicError, APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { RETRYABLE_STATUSES } from '../constants.js';

/**
 * A 2xx arrived but its body did not: the API generated (and billed) the
 * message, the client never saw it.
 */
export class ResponseLostError extends Error {
  readonly status: number;
  readonly requestId: string | undefined;

  constructor(status: number, requestId: string | undefined, options: { cause?: unknown } = {}) {
    super(
      `The response body was lost after HTTP ${status}; the API may have billed the call.`,
      options,
    );
    this.name = 'ResponseLostError';
    this.status = status;
    this.requestId = requestId;
  }
}

/** How the gateway reads a failed attempt. */
export interface FailureInfo {
  retryable: boolean;
  aborted: boolean;
  /** The API accepted the request (2xx) before the failure, so it may have billed it. */
  maybeBilled?: boolean;
  status?: number;
  /** The API's error type, e.g. `overloaded_error`. */
  type?: string;
  requestId?: string;
  /** What the server asked us to wait, ms, from `retry-after-ms` or `retry-after`. */
  retryAfterMs?: number;
  /** The API's own message, or the error's. */
  message: string;
  headers?: Headers;
}

const RETRYABLE_STREAM_ERROR_TYPES = new Set([
  'overloaded_error',
  'api_error',
  'rate_limit_error',
  'timeout_error',
]);

/** Parses `retry-after-ms` (ms) or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(
  headers: Headers | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const millis = headers.get('retry-after-ms');
  if (millis !== null) {
    const value = Number.parseFloat(millis);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers.get('retry-after');
  if (after !== null) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

function isAbortLike(error: unknown): boolean {
  return (
    error instanceof APIUserAbortError ||
    (error instanceof Error &&
      (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR'))
  );
}

/**
 * Classifies a failed attempt. Retried: 408, 409, 429, 5xx and 529, connection
 * errors, and an SSE `error` event (or a cut stream) after a 200. Not retried:
 * any other 4xx, and aborts.
 */
export function classifyFailure(
  error: unknown,
  signal: AbortSignal | undefined,
  now: number = Date.now(),
): FailureInfo {
  if (signal?.aborted || isAbortLike(error)) {
    return { retryable: false, aborted: true, message: 'The call was aborted.' };
  }
  if (error instanceof ResponseLostError) {
    const info: FailureInfo = {
      retryable: true,
      aborted: false,
      maybeBilled: true,
      status: error.status,
      message: error.message,
    };
    if (error.requestId) info.requestId = error.requestId;
    return info;
  }
  if (error instanceof APIConnectionError) {
    return { retryable: true, aborted: false, message: error.message || 'Connection error.' };
  }
  if (error instanceof APIError) {
    const body = error.error as { error?: { type?: string; message?: string } } | undefined;
    const type = body?.error?.type ?? error.type ?? undefined;
    const message = body?.error?.message ?? error.apiMessage ?? error.message;
    const info: FailureInfo = { retryable: false, aborted: false, message };
    if (type) info.type = type;
    if (error.requestID) info.requestId = error.requestID;
    if (error.headers) info.headers = error.headers;
    const wait = retryAfterMs(error.headers, now);
    if (wait !== undefined) info.retryAfterMs = wait;
    if (error.status === undefined) {
      // An SSE `error` event after the 200: the SDK does not retry these.
      info.retryable = type === undefined || RETRYABLE_STREAM_ERROR_TYPES.has(type);
      return info;
    }
    info.status = error.status;
    const shouldRetry = error.headers?.get('x-should-retry');
    info.retryable =
      shouldRetry === 'true' ||
      (shouldRetry !== 'false' && (RETRYABLE_STATUSES.has(error.status) || error.status >= 500));
    return info;
  }
  // The SDK refuses some requests itself, before sending anything (a
  // non-streaming request whose max_tokens may take over 10 minutes): a
  // caller's mistake that no retry fixes.
  if (error instanceof AnthropicError && /^Streaming is required/.test(error.message)) {
    return {
      retryable: false,
      aborted: false,
      type: 'invalid_request_error',
      message: `${error.message} (use gateway.stream(), or lower max_tokens)`,
    };
  }
  // A body cut mid-way surfaces as a TypeError ("terminated") or a stream that
  // ended early; both are transport failures worth another attempt.
  const message = error instanceof Error ? error.message : String(error);
  return { retryable: true, aborted: false, message: message || 'Transport failure.' };
}

/** Options for {@link backoffDelay}. */
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest server `retry-after` honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
  random: () => number;
}

/**
 * The wait before attempt `attempt + 1`: the server's `retry-after` when it
 * gave one (at most `maxRetryAfterMs`, never hours), else exponential
 * backoff with full jitter, capped.
 */
export function backoffDelay(
  attempt: number,
  failure: FailureInfo,
  options: BackoffOptions,
): number {
  if (failure.retryAfterMs !== undefined)
    return Math.min(Math.ceil(failure.retryAfterMs), options.maxRetryAfterMs);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  // Full jitter, but never less than half the step, so retries do spread out.
  return Math.round(ceiling / 2 + (options.random() * ceiling) / 2);
}
