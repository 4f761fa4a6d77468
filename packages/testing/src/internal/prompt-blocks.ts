import { createHash } from 'node:crypto';
import { MAX_CACHE_BREAKPOINTS, MESSAGE_OVERHEAD_TOKENS } from '../constants.js';
import { countBlockTokens, countTextTokens, countToolTokens } from '../token-counter.js';
import type { CacheControl, MessageRequest } from '../wire-types.js';
import { withoutCacheControl } from './without-cache-control.js';

/** A cache breakpoint: the prompt prefix ending at one block. */
export interface Breakpoint {
  /** Tokens from the start of the prompt through this block. */
  prefixTokens: number;
  /** Hash of the model and every block through this one (cache_control removed). */
  hash: string;
  ttl: '5m' | '1h';
  /** Where the breakpoint sits: on a tool, a system block or a message block. */
  section: PromptSection;
}

/** The part of the prompt a breakpoint is in. */
export type PromptSection = 'tools' | 'system' | 'messages';

/** A request's prompt as the cache sees it. */
export interface PromptLayout {
  totalTokens: number;
  /** In prompt order (tools, system, messages). */
  breakpoints: Breakpoint[];
}

function ttlOf(control: CacheControl): '5m' | '1h' {
  return control.ttl === '1h' ? '1h' : '5m';
}

/**
 * Lays out a request's prompt in cache order (tools, then system, then
 * messages) with a running token count and a running hash, and collects the
 * `cache_control` breakpoints. A top-level `cache_control` marks the last
 * block of the last message (automatic caching) and uses one of the four slots.
 *
 * @returns the layout, or an error message for a 400.
 */
export function layoutPrompt(request: MessageRequest, modelId: string): PromptLayout | string {
  const hash = createHash('sha256');
  hash.update(modelId);
  let running = 0;
  const breakpoints: Breakpoint[] = [];
  let section: PromptSection = 'tools';
  const add = (tokens: number, content: unknown, control: CacheControl | null | undefined) => {
    running += tokens;
    hash.update('\u0000');
    hash.update(JSON.stringify(withoutCacheControl(content)) ?? 'null');
    if (control) {
      breakpoints.push({
        prefixTokens: running,
        hash: hash.copy().digest('hex'),
        ttl: ttlOf(control),
        section,
      });
    }
  };

  for (const tool of request.tools ?? []) add(countToolTokens(tool), tool, tool.cache_control);
  section = 'system';
  if (typeof request.system === 'string')
    add(countTextTokens(request.system), request.system, null);
  else
    for (const block of request.system ?? [])
      add(countBlockTokens(block), block, block.cache_control);

  section = 'messages';
  const messages = request.messages;
  messages.forEach((message, messageIndex) => {
    hash.update(`\u0001${message.role}`);
    const blocks =
      typeof message.content === 'string'
        ? [
            { type: 'text', text: message.content } as {
              type: string;
              cache_control?: CacheControl | null;
            },
          ]
        : message.content;
    const isLastMessage = messageIndex === messages.length - 1;
    if (blocks.length === 0) {
      add(MESSAGE_OVERHEAD_TOKENS, null, isLastMessage ? request.cache_control : null);
      return;
    }
    blocks.forEach((block, blockIndex) => {
      const overhead = blockIndex === 0 ? MESSAGE_OVERHEAD_TOKENS : 0;
      const automatic =
        isLastMessage && blockIndex === blocks.length - 1 ? request.cache_control : null;
      add(overhead + countBlockTokens(block), block, block.cache_control ?? automatic);
    });
  });

  if (breakpoints.length > MAX_CACHE_BREAKPOINTS) {
    return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints.length}.`;
  }
  const firstShort = breakpoints.findIndex((breakpoint) => breakpoint.ttl === '5m');
  if (
    firstShort >= 0 &&
    breakpoints.slice(firstShort).some((breakpoint) => breakpoint.ttl === '1h')
  ) {
    return 'cache_control: a ttl="1h" cache entry must come before any ttl="5m" entry in the prompt (tools, system, messages).';
  }
  return { totalTokens: running, breakpoints };
}
