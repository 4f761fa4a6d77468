import { MESSAGE_OVERHEAD_TOKENS } from './constants.js';
import { withoutCacheControl } from './internal/without-cache-control.js';
import { countDocumentTokens, countImageTokens } from './media-tokens.js';

/**
 * The fake API's token counter. A SIMULATION: no tokenizer for current
 * Claude models is published, so the fake uses a simple, stable rule that
 * tests can compute by hand:
 *
 * - a run of ASCII letters costs ceil(length / 4) tokens ("word" = 1, "tokens" = 2);
 * - a run of ASCII digits costs ceil(length / 3) tokens;
 * - every other visible ASCII character (punctuation, symbols) costs 1 token;
 * - whitespace costs nothing;
 * - every non-ASCII code point costs 1 token.
 *
 * So `'word '.repeat(2000)` is exactly 2,000 tokens.
 */

enum CharClass {
  Space = 0,
  Letter = 1,
  Digit = 2,
  Other = 3,
}

function classify(code: number): CharClass {
  if (code === 32 || (code >= 9 && code <= 13)) return CharClass.Space;
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return CharClass.Letter;
  if (code >= 48 && code <= 57) return CharClass.Digit;
  return CharClass.Other;
}

/**
 * Walks the tokens of `text`, calling `onToken(end)` with the index just past
 * each token. Returns the token count. Stops early when `onToken` returns false.
 */
function scan(text: string, onToken?: (end: number) => boolean | undefined): number {
  let tokens = 0;
  let index = 0;
  const emit = (end: number): boolean => {
    tokens += 1;
    return onToken ? onToken(end) !== false : true;
  };
  while (index < text.length) {
    const code = text.charCodeAt(index);
    const kind = classify(code);
    if (kind === CharClass.Space) {
      index += 1;
      continue;
    }
    if (kind === CharClass.Letter || kind === CharClass.Digit) {
      const size = kind === CharClass.Letter ? 4 : 3;
      let end = index;
      while (end < text.length && classify(text.charCodeAt(end)) === kind) end += 1;
      for (let start = index; start < end; start += size) {
        if (!emit(Math.min(start + size, end))) return tokens;
      }
      index = end;
      continue;
    }
    // One visible ASCII symbol, or one non-ASCII code point (surrogate pairs count once).
    const width = code >= 0xd800 && code <= 0xdbff && index + 1 < text.length ? 2 : 1;
    index += width;
    if (!emit(index)) return tokens;
  }
  return tokens;
}

/** Tokens in a piece of text under the fake's rule. */
export function countTextTokens(text: string): number {
  return scan(text);
}

/**
 * Cuts `text` after its first `maxTokens` tokens. Trailing whitespace after
 * the last kept token is dropped.
 */
export function truncateToTokens(
  text: string,
  maxTokens: number,
): { text: string; tokens: number } {
  if (maxTokens <= 0) return { text: '', tokens: 0 };
  let cut = text.length;
  let kept = 0;
  scan(text, (end) => {
    kept += 1;
    if (kept === maxTokens) {
      cut = end;
      return false;
    }
    return true;
  });
  return { text: text.slice(0, cut), tokens: Math.min(kept, maxTokens) };
}

/** Splits text into pieces of at most `chunkTokens` tokens each (for streaming deltas). */
export function splitByTokens(text: string, chunkTokens: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  let inChunk = 0;
  scan(text, (end) => {
    inChunk += 1;
    if (inChunk === chunkTokens) {
      pieces.push(text.slice(start, end));
      start = end;
      inChunk = 0;
    }
    return true;
  });
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/**
 * Tokens of one content block (request or reply): text for text blocks, name
 * plus JSON input for `tool_use`, the content of `tool_result`, images and
 * documents by the rule in `media-tokens.ts` (an image at most 1,600 tokens,
 * a PDF per page), and the JSON of anything else.
 */
export function countBlockTokens(block: unknown): number {
  if (typeof block === 'string') return countTextTokens(block);
  if (!block || typeof block !== 'object') return 0;
  const value = block as Record<string, unknown>;
  switch (value.type) {
    case 'text':
      return countTextTokens(String(value.text ?? ''));
    case 'thinking':
      return countTextTokens(String(value.thinking ?? ''));
    case 'tool_use':
      return (
        countTextTokens(String(value.name ?? '')) +
        countTextTokens(JSON.stringify(value.input ?? {}))
      );
    case 'tool_result': {
      const content = value.content;
      if (content === undefined || content === null) return 0;
      if (typeof content === 'string') return countTextTokens(content);
      if (Array.isArray(content))
        return content.reduce((sum: number, item) => sum + countBlockTokens(item), 0);
      return countBlockTokens(content);
    }
    case 'image':
      return countImageTokens(value);
    case 'document':
      return countDocumentTokens(value, countTextTokens, (blocks) =>
        blocks.reduce((sum: number, item) => sum + countBlockTokens(item), 0),
      );
    default:
      return countTextTokens(JSON.stringify(withoutCacheControl(value)));
  }
}

/** Tokens of one tool definition: name, description and input schema JSON. */
export function countToolTokens(tool: unknown): number {
  if (!tool || typeof tool !== 'object') return 0;
  const value = tool as Record<string, unknown>;
  if (value.input_schema !== undefined || value.description !== undefined) {
    return (
      countTextTokens(String(value.name ?? '')) +
      countTextTokens(String(value.description ?? '')) +
      countTextTokens(JSON.stringify(value.input_schema ?? {}))
    );
  }
  return countTextTokens(JSON.stringify(withoutCacheControl(value)));
}

/** The parts of a Messages request that count as input. */
export interface CountableRequest {
  system?: string | readonly unknown[] | null;
  tools?: readonly unknown[] | null;
  messages?: readonly { role?: string; content: string | readonly unknown[] }[];
}

/**
 * Input tokens of a whole request: tools, then system, then messages, each
 * message adding {@link MESSAGE_OVERHEAD_TOKENS} for its role. This is what
 * `count_tokens` returns and what a request without caching is billed.
 *
 * @example countRequestTokens({ messages: [{ role: 'user', content: 'word word' }] }) === 5
 */
export function countRequestTokens(request: CountableRequest): number {
  let total = 0;
  for (const tool of request.tools ?? []) total += countToolTokens(tool);
  if (typeof request.system === 'string') total += countTextTokens(request.system);
  else for (const block of request.system ?? []) total += countBlockTokens(block);
  for (const message of request.messages ?? []) {
    total += MESSAGE_OVERHEAD_TOKENS;
    if (typeof message.content === 'string') total += countTextTokens(message.content);
    else for (const block of message.content) total += countBlockTokens(block);
  }
  return total;
}
