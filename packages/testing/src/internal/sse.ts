import { STREAM_JSON_CHUNK_CHARS, STREAM_TEXT_CHUNK_TOKENS } from '../constants.js';
import { countTextTokens, splitByTokens } from '../token-counter.js';
import type { Message } from '../wire-types.js';

/** One server-sent event, with the output tokens it carries (for pacing). */
export interface SseEvent {
  event: string;
  data: unknown;
  tokens: number;
}

/** Encodes one event in the wire format: `event: <name>\ndata: <json>\n\n`. */
export function encodeEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function chunkString(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let index = 0; index < text.length; index += size)
    chunks.push(text.slice(index, index + size));
  return chunks.length > 0 ? chunks : [''];
}

/**
 * The event sequence the real API streams for a message: `message_start`
 * (input and cache usage, a small `output_tokens`), `ping`, for each block a
 * `content_block_start`, deltas (`text_delta` / `input_json_delta`) and
 * `content_block_stop`, then `message_delta` (stop reason and cumulative
 * usage) and `message_stop`.
 */
export function messageEvents(message: Message): SseEvent[] {
  const usage = message.usage;
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          ...message,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) },
        },
      },
      tokens: 0,
    },
    { event: 'ping', data: { type: 'ping' }, tokens: 0 },
  ];
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '', citations: null },
        },
        tokens: 0,
      });
      for (const piece of splitByTokens(block.text, STREAM_TEXT_CHUNK_TOKENS)) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
          tokens: countTextTokens(piece),
        });
      }
    } else {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { ...block, input: {} } },
        tokens: countTextTokens(block.name),
      });
      for (const piece of chunkString(JSON.stringify(block.input), STREAM_JSON_CHUNK_CHARS)) {
        events.push({
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          },
          tokens: countTextTokens(piece),
        });
      }
    }
    events.push({
      event: 'content_block_stop',
      data: { type: 'content_block_stop', index },
      tokens: 0,
    });
  });
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: {
          stop_reason: message.stop_reason,
          stop_sequence: message.stop_sequence,
          stop_details: null,
          container: null,
        },
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: usage.output_tokens,
          server_tool_use: null,
          output_tokens_details: null,
        },
      },
      tokens: 0,
    },
    { event: 'message_stop', data: { type: 'message_stop' }, tokens: 0 },
  );
  return events;
}
