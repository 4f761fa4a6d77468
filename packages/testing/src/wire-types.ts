/**
 * The slices of the Anthropic Messages API wire format the fake reads and
 * writes. Field names are the API's (snake_case). The official SDK's types
 * are a superset; these stay small so the fake does not depend on the SDK.
 */

/** `cache_control` on a block, tool or request. */
export interface CacheControl {
  type: 'ephemeral';
  /** @default '5m' */
  ttl?: '5m' | '1h';
}

/** A content block in a request (text, image, tool_use, tool_result, ...). */
export interface RequestContentBlock {
  type: string;
  cache_control?: CacheControl | null;
  [field: string]: unknown;
}

/** One message in a request. */
export interface RequestMessage {
  role: 'user' | 'assistant';
  content: string | RequestContentBlock[];
}

/** A tool definition in a request. */
export interface RequestTool {
  name: string;
  description?: string;
  input_schema?: Record<string, unknown>;
  cache_control?: CacheControl | null;
  [field: string]: unknown;
}

/** The body of `POST /v1/messages` as the fake understands it. */
export interface MessageRequest {
  model: string;
  max_tokens: number;
  messages: RequestMessage[];
  system?: string | RequestContentBlock[];
  tools?: RequestTool[];
  tool_choice?: Record<string, unknown>;
  stream?: boolean;
  stop_sequences?: string[];
  metadata?: Record<string, unknown>;
  cache_control?: CacheControl | null;
  output_config?: {
    effort?: string | null;
    format?: { type: 'json_schema'; schema: Record<string, unknown> } | null;
  };
  [field: string]: unknown;
}

/** The usage object of a response, every field the API returns. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard' | 'priority' | 'batch';
  server_tool_use: null;
  output_tokens_details: null;
  inference_geo: string | null;
  speed: 'standard' | 'fast' | null;
}

/** A text block in a response. */
export interface TextBlock {
  type: 'text';
  text: string;
  citations: null;
}

/** A tool call in a response. */
export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
  caller: { type: 'direct' };
}

/** A response content block. */
export type ResponseContentBlock = TextBlock | ToolUseBlock;

/** Why the model stopped. */
export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/** A `Message` response object. */
export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason;
  stop_sequence: string | null;
  stop_details: null;
  container: null;
  diagnostics: null;
  usage: Usage;
}

/** The API's error body. */
export interface ErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}
