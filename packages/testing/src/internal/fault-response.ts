import { DEFAULT_FAULT_RETRY_AFTER_MS } from '../constants.js';
import type { Fault } from '../faults.js';
import { errorTypeForStatus } from '../replies.js';
import { errorResponse } from './http.js';

/**
 * The response for a fault that replaces the whole response (an error status
 * or a dropped connection), or `undefined` for the stream faults, which apply
 * once the 200 has been sent.
 */
export function faultResponse(
  requestId: string,
  fault: Fault,
  headers: Record<string, string>,
): Response | undefined {
  switch (fault.kind) {
    case 'rate_limit':
      return errorResponse(requestId, {
        status: 429,
        type: 'rate_limit_error',
        message: 'Simulated rate limit (injected fault).',
        headers,
        retryAfterMs: fault.retryAfterMs ?? DEFAULT_FAULT_RETRY_AFTER_MS,
      });
    case 'overloaded':
      return errorResponse(requestId, {
        status: 529,
        type: 'overloaded_error',
        message: 'Overloaded (injected fault).',
        headers,
        ...(fault.retryAfterMs !== undefined ? { retryAfterMs: fault.retryAfterMs } : {}),
      });
    case 'server_error': {
      const status = fault.status ?? 500;
      return errorResponse(requestId, {
        status,
        type: errorTypeForStatus(status),
        message: 'Internal server error (injected fault).',
        headers,
      });
    }
    case 'invalid_request':
      return errorResponse(requestId, {
        status: 400,
        type: 'invalid_request_error',
        message: fault.message ?? 'Invalid request (injected fault).',
        headers,
      });
    case 'disconnect':
      return Response.error();
    case 'stream_cut':
    case 'stream_error_event':
      return undefined;
  }
}
