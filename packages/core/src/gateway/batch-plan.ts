import { createHash } from 'node:crypto';
import type { Attribution } from '../attribution.js';
import type { ModelCatalog } from '../catalog/model-catalog.js';
import type { ModelInfo } from '../catalog/model-info.js';
import { ArmyError, ERROR_CODES, invalidOption } from '../errors.js';
import type { BatchItem } from './batch-types.js';
import type { GatewayRequest } from './gateway.js';

/** What the API accepts as a `custom_id`. */
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

const SAFE_PART = /^[a-zA-Z0-9-]+$/;
const HASH_LENGTH = 16;

/**
 * The `custom_id` of a batch request, from its attribution's run, task and
 * attempt: `run_task_attempt` when both ids are made of `a-zA-Z0-9-` and it
 * fits in 64 characters (then it reads back unambiguously), otherwise a
 * readable prefix plus 16 hex digits of a SHA-256 of the exact triple, so two
 * different attributions never share an id except by a hash collision.
 *
 * @example
 * batchCustomId({ runId: 'run-1', taskId: 'shard-7', role: 'worker' }) === 'run-1_shard-7_1'
 */
export function batchCustomId(attribution: Attribution): string {
  const attempt = attribution.attempt ?? 1;
  const plain = `${attribution.runId}_${attribution.taskId}_${attempt}`;
  if (SAFE_PART.test(attribution.runId) && SAFE_PART.test(attribution.taskId) && plain.length <= 64)
    return plain;
  const hash = createHash('sha256')
    .update(JSON.stringify([attribution.runId, attribution.taskId, attempt]))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const prefix = plain.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 64 - HASH_LENGTH - 1);
  return `${prefix}-${hash}`;
}

/** One validated item, ready to send. */
export interface PlannedItem {
  index: number;
  customId: string;
  request: GatewayRequest;
  attribution: Attribution;
  model: ModelInfo;
  /** Bytes of this item in the create request's JSON (with its separating comma). */
  bytes: number;
}

/** Checks an attribution; `name` is how the error names it (`items[3].attribution`). */
export function validateAttribution(name: string, attribution: Attribution): void {
  if (!attribution || typeof attribution !== 'object')
    throw invalidOption(name, 'an object { runId, taskId, role }', attribution);
  for (const key of ['runId', 'taskId', 'role'] as const) {
    if (typeof attribution[key] !== 'string' || attribution[key].length === 0)
      throw invalidOption(`${name}.${key}`, 'a non-empty string', attribution[key]);
  }
  const attempt = attribution.attempt;
  if (attempt !== undefined && (!Number.isInteger(attempt) || attempt < 1))
    throw invalidOption(`${name}.attempt`, 'an integer >= 1', attempt);
}

/** Checks a `custom_id` against the API's rules. */
export function validateCustomId(name: string, customId: unknown): void {
  if (typeof customId !== 'string' || !CUSTOM_ID_PATTERN.test(customId))
    throw invalidOption(name, '1-64 characters of a-z, A-Z, 0-9, _ or -', customId);
}

function resolveModel(catalog: ModelCatalog, index: number, request: GatewayRequest): ModelInfo {
  try {
    return catalog.get(request.model);
  } catch (error) {
    if (!ArmyError.is(error, ERROR_CODES.UNKNOWN_MODEL)) throw error;
    throw new ArmyError(ERROR_CODES.UNKNOWN_MODEL, `Batch item ${index}: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * JSON sizes of deep-frozen request parts (a worker pool's system blocks and
 * tools, shared by every request), or -1 for a part that is not (measured
 * each time).
 */
const frozenBytes = new WeakMap<object, number>();

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/** Frozen all the way down, with data properties only: its JSON can never change. */
function deepFrozen(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(value))) {
    if (!('value' in descriptor)) return false;
    const inner: unknown = descriptor.value;
    if (inner !== null && typeof inner === 'object' && !deepFrozen(inner)) return false;
  }
  return true;
}

/** The JSON size of an array whose deep-frozen object elements are measured once. */
function arrayBytes(list: readonly unknown[]): number {
  let bytes = 2 + Math.max(0, list.length - 1);
  for (const element of list) {
    if (element === null || typeof element !== 'object') {
      bytes += jsonBytes(element);
      continue;
    }
    let size = frozenBytes.get(element);
    if (size === undefined) {
      size = deepFrozen(element) ? jsonBytes(element) : -1;
      frozenBytes.set(element, size);
    }
    bytes += size >= 0 ? size : jsonBytes(element);
  }
  return bytes;
}

/**
 * The size of the request's line in a create body (`{"custom_id":...,"params":...}`
 * and its comma), exactly as JSON.stringify makes it, without building the
 * whole line: the `system` and `tools` arrays (the same deep-frozen blocks
 * in every request of a pool, a few kB each) are measured element by
 * element, each deep-frozen element once, and the rest with them left out. A JSON object's
 * length does not depend on its key order, so the parts add up.
 */
function lineBytes(customId: string, request: GatewayRequest): number {
  const { system, tools } = request as { system?: unknown; tools?: unknown };
  if (!Array.isArray(system) || !Array.isArray(tools))
    return jsonBytes({ custom_id: customId, params: request }) + 1;
  // Empty arrays stand in for them: 2 bytes each, replaced by their measured size.
  const rest = jsonBytes({ custom_id: customId, params: { ...request, system: [], tools: [] } });
  return rest - 4 + arrayBytes(system) + arrayBytes(tools) + 1;
}

/**
 * Checks every item before anything is sent: a non-empty list, valid
 * attributions and requests, known models, unique custom ids.
 */
export function planItems(items: readonly BatchItem[], catalog: ModelCatalog): PlannedItem[] {
  if (!Array.isArray(items))
    throw invalidOption('items', 'an array of { request, attribution }', items);
  if (items.length === 0) {
    throw new ArmyError(
      ERROR_CODES.BATCH_EMPTY,
      'The batch has no items; pass at least one { request, attribution }.',
    );
  }
  const seen = new Map<string, number>();
  return items.map((item, index) => {
    if (!item || typeof item !== 'object')
      throw invalidOption(`items[${index}]`, 'an object { request, attribution }', item);
    validateAttribution(`items[${index}].attribution`, item.attribution);
    const request = item.request;
    if (!request || typeof request !== 'object')
      throw invalidOption(`items[${index}].request`, 'a Messages request object', request);
    if ((request as { stream?: unknown }).stream)
      throw invalidOption(`items[${index}].request.stream`, 'absent (batches do not stream)', true);
    const model = resolveModel(catalog, index, request);
    if (
      !Number.isInteger(request.max_tokens) ||
      request.max_tokens < 1 ||
      request.max_tokens > model.maxOutputTokens
    ) {
      throw invalidOption(
        `items[${index}].request.max_tokens`,
        `an integer from 1 to ${model.maxOutputTokens} for ${model.id}`,
        request.max_tokens,
      );
    }
    const customId = item.customId ?? batchCustomId(item.attribution);
    validateCustomId(`items[${index}].customId`, customId);
    const earlier = seen.get(customId);
    if (earlier !== undefined) {
      throw new ArmyError(
        ERROR_CODES.BATCH_DUPLICATE_ID,
        `Batch items ${earlier} and ${index} share the custom_id "${customId}" (the same run, task and attempt); give each request its own attribution.attempt or customId.`,
      );
    }
    seen.set(customId, index);
    const bytes = lineBytes(customId, request);
    return { index, customId, request, attribution: item.attribution, model, bytes };
  });
}

/** The JSON around the requests of a create body: `{"requests":[...]}`. */
const BODY_OVERHEAD = Buffer.byteLength('{"requests":[]}', 'utf8');

/** Splits planned items into batches within the request-count and byte limits, in order. */
export function chunkItems(
  items: readonly PlannedItem[],
  limits: { maxRequests: number; maxBytes: number },
): PlannedItem[][] {
  const chunks: PlannedItem[][] = [];
  let current: PlannedItem[] = [];
  let bytes = BODY_OVERHEAD;
  for (const item of items) {
    if (BODY_OVERHEAD + item.bytes > limits.maxBytes) {
      throw new ArmyError(
        ERROR_CODES.BATCH_ITEM_TOO_LARGE,
        `Batch item ${item.index} ("${item.customId}") is ${item.bytes} bytes, more than a whole batch may be (${limits.maxBytes}); send it with gateway.call() instead.`,
      );
    }
    if (current.length >= limits.maxRequests || bytes + item.bytes > limits.maxBytes) {
      chunks.push(current);
      current = [];
      bytes = BODY_OVERHEAD;
    }
    current.push(item);
    bytes += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The most one request can cost at the batch tier: half the standard worst
 * case. Each of the five line items rounds half a nano-USD up, so the
 * batch cost is at most (standard + 5) / 2.
 */
export function batchWorstCase(standardWorstCase: number): number {
  return Math.ceil((standardWorstCase + 5) / 2);
}
