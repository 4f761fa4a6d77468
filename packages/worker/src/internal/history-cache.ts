import { estimateRequestTokens, type ModelInfo } from '@haiku-army/core';
import { MAX_CACHE_BREAKPOINTS, SUBMIT_RESULT_TOOL } from '../constants.js';
import type { ApiTool } from '../tool.js';
import type { ContentParam, MessageParam, SystemBlocks } from './messages.js';

/** What decides where a request's history breakpoints go. */
export interface HistoryCacheInput {
  model: ModelInfo;
  system: SystemBlocks;
  tools: readonly ApiTool[];
  messages: readonly MessageParam[];
  lastTurn: boolean;
}

function hasCacheControl(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { cache_control?: unknown }).cache_control != null
  );
}

/** `cache_control` breakpoints a request already carries (tools, system, message blocks). */
export function countBreakpoints(
  system: SystemBlocks,
  tools: readonly ApiTool[],
  messages: readonly MessageParam[],
): number {
  let count = tools.filter(hasCacheControl).length + system.filter(hasCacheControl).length;
  for (const message of messages)
    if (typeof message.content !== 'string')
      count += message.content.filter(hasCacheControl).length;
  return count;
}

/**
 * Indexes of the messages that get a history breakpoint (on their last
 * block), newest first.
 *
 * A call writes the cache up to its newest message (the one the next call
 * resends unchanged), and marks the newest message of the call before it,
 * which that call wrote, so the read is exact even where the API's look-back
 * for earlier hits would not reach (the fake API checks breakpoints only).
 * Both only when it pays: the prefix up to the mark is at least the model's
 * minimum cacheable length, and another call can follow. On the worker's
 * last allowed call nothing new is written; the previous mark is still read.
 * A worker without tools of its own makes another call only when its answer
 * is sent back, so its history is not cached.
 *
 * The decision for the previous call is recomputed from the same messages
 * (they alternate user / assistant, and the earlier ones never change), so
 * no state is kept between calls.
 */
export function historyBreakpoints(input: HistoryCacheInput): number[] {
  const { model, system, tools, messages, lastTurn } = input;
  const free = MAX_CACHE_BREAKPOINTS - countBreakpoints(system, tools, messages);
  if (free <= 0 || messages.length === 0) return [];
  if (!tools.some((tool) => tool.name !== SUBMIT_RESULT_TOOL)) return [];
  const cacheable = (index: number) =>
    estimateRequestTokens({ system, tools, messages: messages.slice(0, index + 1) }, model.tier) >=
    model.minCacheableTokens;
  const newest = messages.length - 1;
  const marks: number[] = [];
  if (!lastTurn && messages[newest]?.role === 'user' && cacheable(newest)) marks.push(newest);
  const previous = newest - 2;
  if (
    marks.length < free &&
    previous >= 0 &&
    messages[previous]?.role === 'user' &&
    messages[previous + 1]?.role === 'assistant' &&
    cacheable(previous)
  )
    marks.push(previous);
  return marks;
}

/** A copy of a message whose last block carries a 5 minute `cache_control` breakpoint. */
export function withBreakpoint(message: MessageParam): MessageParam {
  const blocks: ContentParam[] =
    typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : [...message.content];
  const last = blocks.at(-1);
  if (!last) return message;
  blocks[blocks.length - 1] = {
    ...last,
    cache_control: { type: 'ephemeral' },
  } as ContentParam;
  return { ...message, content: blocks } as MessageParam;
}
