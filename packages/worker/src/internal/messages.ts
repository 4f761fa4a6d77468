import type { GatewayRequest, GatewayResponse } from '@haiku-army/core';
import { SUBMIT_RESULT_TOOL } from '../constants.js';

/** A message of a Messages request. */
export type MessageParam = GatewayRequest['messages'][number];
/** The `system` of a Messages request, as blocks. */
export type SystemBlocks = Extract<NonNullable<GatewayRequest['system']>, readonly unknown[]>;
/** A content block of a response. */
export type ResponseBlock = GatewayResponse['message']['content'][number];
/** A `tool_use` block of a response. */
export type ToolUseBlock = Extract<ResponseBlock, { type: 'tool_use' }>;
/** A content block of a request message. */
export type ContentParam = Exclude<MessageParam['content'], string>[number];

/**
 * The system prompt: the preamble, then the shared prefix carrying the cache
 * breakpoint. Both are the same for every worker of a pool, so with the
 * (identical) tools before them they form one byte-identical cached prefix;
 * everything task-specific comes after, in the user message.
 */
export function buildSystem(
  preamble: string,
  sharedPrefix: string | undefined,
  cacheTtl: '5m' | '1h',
): SystemBlocks {
  const blocks: SystemBlocks = [{ type: 'text', text: preamble }];
  if (sharedPrefix !== undefined) {
    blocks.push({
      type: 'text',
      text: sharedPrefix,
      cache_control: cacheTtl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' },
    });
  }
  return blocks;
}

/** A response's content as request content (drops response-only fields). */
export function toParams(content: readonly ResponseBlock[]): ContentParam[] {
  return content.map((block): ContentParam => {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text };
      case 'tool_use':
        return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
      case 'thinking':
        return { type: 'thinking', thinking: block.thinking, signature: block.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: block.data };
      default:
        return block as unknown as ContentParam;
    }
  });
}

/** The text blocks of a response, joined. */
export function textOf(content: readonly ResponseBlock[]): string {
  return content
    .filter((block): block is Extract<ResponseBlock, { type: 'text' }> => block.type === 'text')
    .map((block) => block.text)
    .join('\n')
    .trim();
}

/** Appended to the last user message before the final allowed call. */
export const LAST_TURN_NOTICE = `This is your last turn. Call ${SUBMIT_RESULT_TOOL} now with what you have; use status "partial" if the task is unfinished.`;

/** The one reminder a worker gets when it ends its turn without a usable result. */
export function nudge(missing: 'data' | 'cut' | 'empty'): string {
  switch (missing) {
    case 'data':
      return `You ended your turn without calling ${SUBMIT_RESULT_TOOL}. This task needs a structured result: call ${SUBMIT_RESULT_TOOL} now with status, summary and data matching the schema in the brief.`;
    case 'cut':
      return `Your answer was cut off at the output token limit. Call ${SUBMIT_RESULT_TOOL} now with your status and a short summary.`;
    case 'empty':
      return `You ended your turn without an answer. Call ${SUBMIT_RESULT_TOOL} now with your status and a short summary.`;
  }
}

/** Adds a text block to the end of a user message. */
export function appendText(message: MessageParam, text: string): void {
  const content: ContentParam[] =
    typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : [...message.content];
  content.push({ type: 'text', text });
  message.content = content;
}
