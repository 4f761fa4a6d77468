import type { ModelTier } from './catalog/model-info.js';
import { FrozenMemo } from './internal/frozen-memo.js';

/**
 * Offline token estimates for budget reservations and rate-limit
 * accounting. Real counts come from the API (`usage`, or `countTokens`
 * through the gateway); these only need to be cheap and on the high side.
 *
 * Why hand-written: no tokenizer for current Claude models is published, so
 * any library would be a guess too. The rule is a character-class heuristic:
 * Claude tokenizers spend roughly one token per 3.5 characters of English
 * prose and code, more for digits, punctuation and non-Latin text.
 */
const CHARS_PER_TOKEN: Record<ModelTier, number> = { haiku: 3.5, sonnet: 3.5, opus: 3.5 };

/** Per-message and per-request framing overhead, tokens. */
const MESSAGE_OVERHEAD = 4;
const REQUEST_OVERHEAD = 8;

/**
 * The weighted length of a text: 1 per ASCII letter or space, 1.75 per
 * digit, punctuation mark or other non-ASCII character below U+3000, 3.5 per
 * wider character (a surrogate pair is one character). Exact in binary
 * floating point (every weight is a multiple of 1/4), so parts add up.
 */
function weigh(text: string): number {
  let weighted = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) weighted += code >= 33 && code <= 64 ? 1.75 : 1;
    else if (code <= 0x2fff) weighted += 1.75;
    else {
      // CJK and other wide scripts: about a token each. A surrogate pair is
      // one code point (above U+FFFF), counted once.
      weighted += 3.5;
      if (code >= 0xd800 && code <= 0xdbff && index + 1 < length) {
        const next = text.charCodeAt(index + 1);
        if (next >= 0xdc00 && next <= 0xdfff) index += 1;
      }
    }
  }
  return weighted;
}

function tokensOf(weighted: number, length: number, tier: ModelTier): number {
  if (length === 0) return 0;
  return Math.max(1, Math.ceil(weighted / CHARS_PER_TOKEN[tier]));
}

/** Estimates tokens in a piece of text. Always >= 1 for non-empty text. */
export function estimateTextTokens(text: string, tier: ModelTier = 'haiku'): number {
  return tokensOf(weigh(text), text.length, tier);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(contentText).join('\n');
  if (content && typeof content === 'object') {
    const block = content as Record<string, unknown>;
    if (typeof block.text === 'string') return block.text;
    if (block.type === 'image' || block.type === 'document') return ' '.repeat(1600 * 4); // ~1.6K tokens
    if ('input' in block) return JSON.stringify(block.input);
    if ('content' in block) return contentText(block.content);
    return JSON.stringify(block);
  }
  return '';
}

/** The parts of a Messages request that count toward input tokens. */
export interface EstimatableRequest {
  system?: unknown;
  messages?: readonly { role?: string; content: unknown }[];
  tools?: readonly unknown[];
}

/** A text's weighted length and its length in UTF-16 units. */
interface Weight {
  weighted: number;
  length: number;
}

/** The weight of a system block's text, cached for deep-frozen blocks. */
const blockWeight = new FrozenMemo<Weight>((block) => {
  const text = contentText(block);
  return { weighted: weigh(text), length: text.length };
});

/** The weight of a tool definition's JSON, cached for deep-frozen tools. */
const toolWeight = new FrozenMemo<Weight>((tool) => {
  const text = JSON.stringify(tool) ?? '';
  return { weighted: weigh(text), length: text.length };
});

/** `estimateTextTokens(contentText(system))`, with the blocks weighed apart (they are joined by one newline). */
function systemTokens(system: unknown, tier: ModelTier): number {
  if (!Array.isArray(system)) return estimateTextTokens(contentText(system), tier);
  let weighted = 0;
  let length = 0;
  for (const block of system) {
    const weight = blockWeight.of(block);
    weighted += weight.weighted;
    length += weight.length;
  }
  if (system.length > 1) {
    weighted += system.length - 1;
    length += system.length - 1;
  }
  return tokensOf(weighted, length, tier);
}

/**
 * Estimates the input tokens of a whole Messages request (system, tools,
 * messages). Deep-frozen system blocks and tools are weighed once.
 */
export function estimateRequestTokens(
  request: EstimatableRequest,
  tier: ModelTier = 'haiku',
): number {
  let total = REQUEST_OVERHEAD;
  if (request.system) total += systemTokens(request.system, tier);
  for (const tool of request.tools ?? []) {
    const weight = toolWeight.of(tool);
    total += tokensOf(weight.weighted, weight.length, tier);
  }
  for (const message of request.messages ?? []) {
    total += MESSAGE_OVERHEAD + estimateTextTokens(contentText(message.content), tier);
  }
  return total;
}
