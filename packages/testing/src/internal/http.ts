import type { ErrorBody } from '../wire-types.js';

/** Headers every response carries plus whatever the caller adds. */
export function baseHeaders(requestId: string, extra: Record<string, string> = {}): Headers {
  const headers = new Headers(extra);
  headers.set('request-id', requestId);
  return headers;
}

/** A JSON response with the `request-id` header. */
export function jsonResponse(
  requestId: string,
  body: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  const headers = baseHeaders(requestId, init.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status: init.status ?? 200, headers });
}

/** Options for {@link errorResponse}. */
export interface ErrorResponseOptions {
  status: number;
  type: string;
  message: string;
  headers?: Record<string, string>;
  /** Adds `retry-after-ms` and `retry-after` (whole seconds, rounded up). */
  retryAfterMs?: number;
  /** Adds only `retry-after` (whole seconds, rounded up), as the real API does for 429s. */
  retryAfterSecondsOnly?: boolean;
}

/** An API error in the real shape: `{"type":"error","error":{type,message},"request_id"}`. */
export function errorResponse(requestId: string, options: ErrorResponseOptions): Response {
  const headers: Record<string, string> = { ...options.headers };
  if (options.retryAfterMs !== undefined) {
    const ms = Math.max(0, options.retryAfterMs);
    headers['retry-after'] = String(Math.ceil(ms / 1000));
    if (!options.retryAfterSecondsOnly) headers['retry-after-ms'] = String(Math.ceil(ms));
  }
  const body: ErrorBody = {
    type: 'error',
    error: { type: options.type, message: options.message },
    request_id: requestId,
  };
  return jsonResponse(requestId, body, { status: options.status, headers });
}

/** 400 invalid_request_error. */
export function invalidRequest(
  requestId: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  return errorResponse(requestId, {
    status: 400,
    type: 'invalid_request_error',
    message,
    ...(headers ? { headers } : {}),
  });
}

/** 404 not_found_error. */
export function notFound(requestId: string, message: string): Response {
  return errorResponse(requestId, { status: 404, type: 'not_found_error', message });
}
