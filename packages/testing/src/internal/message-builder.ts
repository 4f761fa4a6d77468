import type { CacheAccounting } from '../prompt-cache.js';
import type { MessageReply } from '../replies.js';
import { countBlockTokens, countTextTokens, truncateToTokens } from '../token-counter.js';
import type {
  Message,
  MessageRequest,
  ResponseContentBlock,
  StopReason,
  Usage,
} from '../wire-types.js';

/** A reply turned into response content, with its output token count. */
export interface BuiltContent {
  content: ResponseContentBlock[];
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
}

function firstStop(
  text: string,
  sequences: readonly string[],
): { index: number; sequence: string } | undefined {
  let best: { index: number; sequence: string } | undefined;
  for (const sequence of sequences) {
    if (sequence.length === 0) continue;
    const index = text.indexOf(sequence);
    if (index >= 0 && (!best || index < best.index)) best = { index, sequence };
  }
  return best;
}

/**
 * Turns a scripted reply into response content: applies `stop_sequences` to
 * text, then cuts the reply at `max_tokens` (a text block is truncated at the
 * token boundary; a tool call that does not fit is dropped whole, and the
 * reply is billed `max_tokens` output tokens).
 */
export function buildContent(
  reply: MessageReply,
  request: Pick<MessageRequest, 'max_tokens' | 'stop_sequences'>,
  nextToolId: () => string,
): BuiltContent {
  const content: ResponseContentBlock[] = [];
  let stopReason: StopReason | undefined;
  let stopSequence: string | null = null;
  let used = 0;
  const limit = request.max_tokens;
  const hasToolUse = reply.content.some((block) => block.type === 'tool_use');

  for (const block of reply.content) {
    if (block.type === 'text') {
      let text = block.text;
      const stop = firstStop(text, request.stop_sequences ?? []);
      if (stop) text = text.slice(0, stop.index);
      const tokens = countTextTokens(text);
      if (used + tokens > limit) {
        const cut = truncateToTokens(text, limit - used);
        if (cut.text.length > 0) content.push({ type: 'text', text: cut.text, citations: null });
        used = limit;
        stopReason = 'max_tokens';
        break;
      }
      content.push({ type: 'text', text, citations: null });
      used += tokens;
      if (stop) {
        stopReason = 'stop_sequence';
        stopSequence = stop.sequence;
        break;
      }
    } else {
      const tokens = countBlockTokens({ type: 'tool_use', name: block.name, input: block.input });
      if (used + tokens > limit) {
        used = limit;
        stopReason = 'max_tokens';
        break;
      }
      content.push({
        type: 'tool_use',
        id: block.id ?? nextToolId(),
        name: block.name,
        input: block.input ?? {},
        caller: { type: 'direct' },
      });
      used += tokens;
    }
  }
  return {
    content,
    stopReason: stopReason ?? reply.stopReason ?? (hasToolUse ? 'tool_use' : 'end_turn'),
    stopSequence,
    // The real API never bills zero output tokens, even for an empty reply.
    outputTokens: Math.max(1, Math.min(used, limit)),
  };
}

/** The usage object for a response. */
export function buildUsage(
  accounting: Pick<
    CacheAccounting,
    'inputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens'
  >,
  outputTokens: number,
  serviceTier: Usage['service_tier'],
): Usage {
  return {
    input_tokens: accounting.inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: accounting.cacheWrite5mTokens + accounting.cacheWrite1hTokens,
    cache_read_input_tokens: accounting.cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: accounting.cacheWrite5mTokens,
      ephemeral_1h_input_tokens: accounting.cacheWrite1hTokens,
    },
    service_tier: serviceTier,
    server_tool_use: null,
    output_tokens_details: null,
    inference_geo: null,
    speed: 'standard',
  };
}

/** A complete `Message` object. */
export function buildMessage(options: {
  id: string;
  model: string;
  built: BuiltContent;
  usage: Usage;
}): Message {
  return {
    id: options.id,
    type: 'message',
    role: 'assistant',
    model: options.model,
    content: options.built.content,
    stop_reason: options.built.stopReason,
    stop_sequence: options.built.stopSequence,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: options.usage,
  };
}
