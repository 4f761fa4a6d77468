import type { StopReason } from './wire-types.js';

/** A text block a responder wants to send. */
export interface TextReplyBlock {
  type: 'text';
  text: string;
}

/** A tool call a responder wants to send. The id is generated when omitted. */
export interface ToolUseReplyBlock {
  type: 'tool_use';
  name: string;
  input: unknown;
  id?: string;
}

/** One block of a scripted reply. */
export type ReplyBlock = TextReplyBlock | ToolUseReplyBlock;

/** A successful scripted reply: content blocks the fake turns into a `Message`. */
export interface MessageReply {
  type: 'message';
  content: ReplyBlock[];
  /**
   * The stop reason when the reply is not truncated.
   * @default 'tool_use' when the reply has a tool call, else 'end_turn'
   */
  stopReason?: StopReason;
}

/** A scripted API error (also used for `errored` batch results). */
export interface ErrorReply {
  type: 'error';
  /** HTTP status. @default 500 */
  status: number;
  /** API error type, e.g. `overloaded_error`. */
  errorType: string;
  message: string;
  /** Sends `retry-after-ms` and `retry-after` (seconds, rounded up) headers. */
  retryAfterMs?: number;
}

/** Only meaningful in a batch: the request's result is `expired`. */
export interface ExpiredReply {
  type: 'expired';
}

/** What a responder returns. */
export type Reply = MessageReply | ErrorReply | ExpiredReply;

/** A tool call for {@link reply.toolCalls}. */
export interface ToolCall {
  name: string;
  input: unknown;
  id?: string;
}

/** Options for {@link reply.error}. */
export interface ErrorReplyOptions {
  /** @default 500 */
  status?: number;
  /** @default derived from status: 400 invalid_request_error, 429 rate_limit_error, 529 overloaded_error, ... */
  type?: string;
  /** @default a generic message for the type */
  message?: string;
  /** Sends `retry-after-ms` and `retry-after` (seconds, rounded up). @default no retry headers */
  retryAfterMs?: number;
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** The API error type for an HTTP status. */
export function errorTypeForStatus(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/**
 * Builders for scripted replies.
 *
 * @example
 * reply.text('Hello');
 * reply.toolUse('grep', { pattern: 'TODO' });
 * reply.toolCalls([{ name: 'read_file', input: { path: 'a.ts' } }, { name: 'read_file', input: { path: 'b.ts' } }]);
 * reply.json({ subtasks: [] });               // for `output_config.format`
 * reply.error({ status: 529 });               // overloaded_error
 */
export const reply = {
  /** A text reply. */
  text(text: string, options: { stopReason?: StopReason } = {}): MessageReply {
    return { type: 'message', content: [{ type: 'text', text }], ...options };
  },
  /** One tool call, optionally preceded by text. */
  toolUse(
    name: string,
    input: unknown,
    options: { text?: string; id?: string } = {},
  ): MessageReply {
    return reply.toolCalls([{ name, input, ...(options.id ? { id: options.id } : {}) }], options);
  },
  /** Several tool calls in one turn, optionally preceded by text. */
  toolCalls(calls: readonly ToolCall[], options: { text?: string } = {}): MessageReply {
    const content: ReplyBlock[] = options.text ? [{ type: 'text', text: options.text }] : [];
    for (const call of calls) content.push({ type: 'tool_use', ...call });
    return { type: 'message', content };
  },
  /** A JSON text reply, as the API returns for `output_config.format` (json_schema). */
  json(value: unknown): MessageReply {
    return reply.text(JSON.stringify(value));
  },
  /** Any content blocks. */
  message(content: ReplyBlock[], options: { stopReason?: StopReason } = {}): MessageReply {
    return { type: 'message', content, ...options };
  },
  /** An API error response (or an `errored` result in a batch). */
  error(options: ErrorReplyOptions = {}): ErrorReply {
    const status = options.status ?? 500;
    const errorType = options.type ?? errorTypeForStatus(status);
    const result: ErrorReply = {
      type: 'error',
      status,
      errorType,
      message: options.message ?? `Simulated ${errorType}.`,
    };
    if (options.retryAfterMs !== undefined) result.retryAfterMs = options.retryAfterMs;
    return result;
  },
  /** An `expired` result, for requests in a batch. */
  expired(): ExpiredReply {
    return { type: 'expired' };
  },
} as const;
