import type { ModelTier } from './catalog/model-info.js';

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

/** Estimates tokens in a piece of text. Always >= 1 for non-empty text. */
export function estimateTextTokens(text: string, tier: ModelTier = 'haiku'): number {
  if (text.length === 0) return 0;
  let weighted = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code > 0x2fff)
      weighted += 3.5; // CJK and other wide scripts: about a token each
    else if (code > 0x7f) weighted += 1.75;
    else if ((code >= 48 && code <= 57) || (code >= 33 && code <= 47) || (code >= 58 && code <= 64))
      weighted += 1.75;
    else weighted += 1;
  }
  return Math.max(1, Math.ceil(weighted / CHARS_PER_TOKEN[tier]));
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

/** Estimates the input tokens of a whole Messages request (system, tools, messages). */
export function estimateRequestTokens(
  request: EstimatableRequest,
  tier: ModelTier = 'haiku',
): number {
  let total = REQUEST_OVERHEAD;
  if (request.system) total += estimateTextTokens(contentText(request.system), tier);
  for (const tool of request.tools ?? []) total += estimateTextTokens(JSON.stringify(tool), tier);
  for (const message of request.messages ?? []) {
    total += MESSAGE_OVERHEAD + estimateTextTokens(contentText(message.content), tier);
  }
  return total;
}
