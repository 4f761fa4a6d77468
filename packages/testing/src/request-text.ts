import type { MessageRequest, RequestContentBlock } from './wire-types.js';

/** Helpers for responders that read a request's text. */

function blockText(block: RequestContentBlock | string): string {
  if (typeof block === 'string') return block;
  if (block.type === 'text') return String(block.text ?? '');
  if (block.type === 'tool_result') {
    const content = block.content;
    if (typeof content === 'string') return content;
    if (Array.isArray(content))
      return content.map((item) => blockText(item as RequestContentBlock)).join('\n');
  }
  return '';
}

/** The system prompt as plain text (blocks joined by newlines). */
export function systemText(request: Pick<MessageRequest, 'system'>): string {
  if (!request.system) return '';
  if (typeof request.system === 'string') return request.system;
  return request.system.map(blockText).join('\n');
}

/** The text of one message's content. */
export function contentText(content: string | readonly RequestContentBlock[]): string {
  if (typeof content === 'string') return content;
  return content
    .map(blockText)
    .filter((text) => text.length > 0)
    .join('\n');
}

/**
 * The text blocks of the last user message (tool results excluded), or of the
 * first user message when the last one carries only tool results.
 */
export function lastUserText(request: Pick<MessageRequest, 'messages'>): string {
  const users = request.messages.filter((message) => message.role === 'user');
  for (let index = users.length - 1; index >= 0; index -= 1) {
    const content = users[index]!.content;
    const text =
      typeof content === 'string'
        ? content
        : content
            .filter((block) => block.type === 'text')
            .map(blockText)
            .join('\n');
    if (text.length > 0) return text;
  }
  return '';
}

/** A tool call the model made earlier in the conversation, with its result if sent. */
export interface ToolExchange {
  id: string;
  name: string;
  input: unknown;
  /** The tool result's text, or `undefined` when no result was sent yet. */
  result?: string;
  isError?: boolean;
}

/** Every tool call in the conversation, in order, paired with its `tool_result`. */
export function toolExchanges(request: Pick<MessageRequest, 'messages'>): ToolExchange[] {
  const exchanges: ToolExchange[] = [];
  const byId = new Map<string, ToolExchange>();
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (message.role === 'assistant' && block.type === 'tool_use') {
        const exchange: ToolExchange = {
          id: String(block.id),
          name: String(block.name),
          input: block.input,
        };
        exchanges.push(exchange);
        byId.set(exchange.id, exchange);
      } else if (message.role === 'user' && block.type === 'tool_result') {
        const exchange = byId.get(String(block.tool_use_id));
        if (exchange) {
          exchange.result = blockText(block);
          if (block.is_error === true) exchange.isError = true;
        }
      }
    }
  }
  return exchanges;
}
