import { IMAGE_TOKEN_ALLOWANCE, TOOL_PROMPT_ALLOWANCE } from '../constants.js';
import { FrozenMemo } from '../internal/frozen-memo.js';

/** The parts of a request that decide its billed input. */
export interface BoundableRequest {
  system?: unknown;
  messages: readonly unknown[];
  tools?: readonly unknown[];
  tool_choice?: unknown;
  output_config?: unknown;
  mcp_servers?: unknown;
  container?: unknown;
}

/** An upper bound on a request's input tokens, and whether one exists without counting. */
export interface InputBound {
  /**
   * Input tokens, never under what the API bills: the UTF-8 size of the
   * prompt as JSON with images left out, plus {@link IMAGE_TOKEN_ALLOWANCE}
   * per image and an allowance for the tool-use prompt.
   */
  tokens: number;
  /** Image blocks found (each counted at the allowance). */
  images: number;
  /**
   * Set when part of the prompt is billed at more than its JSON shows and
   * has no allowance (PDF and other documents by base64, URL or file id;
   * Anthropic-defined client tools): only `count_tokens` bounds it. Says what.
   */
  needsCount?: string;
  /**
   * Set when the call bills input that nothing can bound before it is sent
   * (server tools and MCP servers fetch and bill results inside the call). Says what.
   */
  unbounded?: string;
}

/** Tool types whose work runs on the API's side and bills its results as input within the call. */
const SERVER_TOOL_PREFIXES = [
  'web_search',
  'web_fetch',
  'code_execution',
  'tool_search',
  'browser',
];

/** Result blocks of server tools in the history: billed from content their JSON does not carry in full. */
function isServerResultBlock(type: string): boolean {
  return type !== 'tool_result' && type !== 'mcp_tool_result' && type.endsWith('_tool_result');
}

interface Walk {
  images: number;
  needsCount?: string;
}

function shadowBlock(block: unknown, walk: Walk): unknown {
  if (!block || typeof block !== 'object' || Array.isArray(block)) return block;
  const value = block as Record<string, unknown>;
  const type = typeof value.type === 'string' ? value.type : '';
  if (type === 'image') {
    walk.images += 1;
    // The pixels are billed by size (at most the allowance), not by their base64 length.
    return { type: 'image' };
  }
  if (type === 'document') {
    const source = value.source as Record<string, unknown> | undefined;
    if (source?.type === 'text') return value;
    if (source?.type === 'content') {
      const content = source.content;
      return {
        ...value,
        source: {
          ...source,
          content: Array.isArray(content)
            ? content.map((item) => shadowBlock(item, walk))
            : content,
        },
      };
    }
    walk.needsCount ??= `a document block (source type ${JSON.stringify(source?.type)})`;
    return { type: 'document' };
  }
  if (type === 'tool_result' && Array.isArray(value.content)) {
    return { ...value, content: value.content.map((item) => shadowBlock(item, walk)) };
  }
  if (type === 'container_upload' || isServerResultBlock(type)) {
    walk.needsCount ??= `a ${type} block`;
  }
  return value;
}

function shadowContent(content: unknown, walk: Walk): unknown {
  return Array.isArray(content) ? content.map((block) => shadowBlock(block, walk)) : content;
}

/** Marks a value JSON leaves out (`undefined`, a function). */
const OMITTED = -1;

/** The UTF-8 size of a value's JSON, cached for deep-frozen values. */
const jsonBytes = new FrozenMemo<number>((value) => {
  const text = JSON.stringify(value);
  return text === undefined ? OMITTED : Buffer.byteLength(text, 'utf8');
});

/** The size of an array's JSON from its items' (each sized, or looked up, alone); of anything else, as is. */
function partBytes(value: unknown): number {
  if (!Array.isArray(value) || (value as { toJSON?: unknown }).toJSON !== undefined)
    return jsonBytes.of(value);
  let bytes = 2 + Math.max(0, value.length - 1); // brackets and commas
  for (let index = 0; index < value.length; index++) {
    const item = jsonBytes.of(value[index]);
    bytes += item === OMITTED ? 4 : item; // an omitted item is `null` in an array
  }
  return bytes;
}

/** The size of an object's JSON from its fields' sizes (omitted fields left out, as JSON does). */
function objectBytes(fields: readonly [string, number][]): number {
  let bytes = 2; // braces
  let present = 0;
  for (const [key, size] of fields) {
    if (size === OMITTED) continue;
    bytes += key.length + 3 + size; // "key": (keys are ASCII)
    present += 1;
  }
  return bytes + Math.max(0, present - 1);
}

/**
 * Bounds a request's input tokens without calling the API. No tokenizer maps
 * fewer than one byte of text to a token, so the UTF-8 size of the prompt's
 * JSON never undercounts text; an image is billed at most
 * {@link IMAGE_TOKEN_ALLOWANCE} tokens (the API resizes larger ones), so it
 * counts as that; what has no such bound is reported in `needsCount` or
 * `unbounded`.
 */
export function inputBound(request: BoundableRequest): InputBound {
  const walk: Walk = { images: 0 };
  let unbounded: string | undefined;
  if (request.mcp_servers !== undefined && request.mcp_servers !== null)
    unbounded = 'MCP servers (`mcp_servers`)';
  if (request.container !== undefined && request.container !== null)
    unbounded ??= 'a code-execution container (`container`)';
  for (const tool of request.tools ?? []) {
    if (!tool || typeof tool !== 'object') continue;
    const { type, input_schema: schema } = tool as { type?: unknown; input_schema?: unknown };
    if (schema !== undefined || type === undefined || type === 'custom') continue;
    const name = String(type);
    if (SERVER_TOOL_PREFIXES.some((prefix) => name.startsWith(prefix)))
      unbounded ??= `the server tool ${JSON.stringify(name)}`;
    else walk.needsCount ??= `the Anthropic-defined tool ${JSON.stringify(name)}`;
  }
  const system = shadowContent(request.system, walk);
  const messages = request.messages.map((message) => {
    if (!message || typeof message !== 'object') return message;
    const value = message as { content?: unknown };
    return { ...value, content: shadowContent(value.content, walk) };
  });
  // The UTF-8 size of JSON.stringify({ system, tools, tool_choice, messages, output }),
  // put together from its parts so the deep-frozen ones are sized once.
  const bytes = objectBytes([
    ['system', partBytes(system)],
    ['tools', partBytes(request.tools)],
    ['tool_choice', jsonBytes.of(request.tool_choice)],
    ['messages', partBytes(messages)],
    ['output', jsonBytes.of(request.output_config)],
  ]);
  const tools = request.tools && request.tools.length > 0 ? TOOL_PROMPT_ALLOWANCE : 0;
  const bound: InputBound = {
    tokens: bytes + tools + walk.images * IMAGE_TOKEN_ALLOWANCE,
    images: walk.images,
  };
  if (walk.needsCount !== undefined) bound.needsCount = walk.needsCount;
  if (unbounded !== undefined) bound.unbounded = unbounded;
  return bound;
}
