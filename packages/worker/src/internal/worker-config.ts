import { randomUUID } from 'node:crypto';
import { invalidOption, type ModelGateway } from '@haiku-army/core';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MAX_TOOL_RESULT_CHARS,
  DEFAULT_MAX_TURNS,
  DEFAULT_SUMMARY_TOKEN_CAP,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WORKER_MODEL,
  SUBMIT_RESULT_TOOL,
} from '../constants.js';
import { DEFAULT_WORKER_PREAMBLE } from '../preamble.js';
import type { Tool } from '../tool.js';
import { MemoryTranscriptStore, type TranscriptStore } from '../transcript-store.js';
import type { WorkerOptions } from '../worker.js';
import type { WorkerLimits } from '../worker-task.js';

/** Options shared by a Worker and a WorkerPool. */
export type WorkerConfigInput = WorkerOptions;

/** Limits with every field filled. */
export type ResolvedLimits = Required<Omit<WorkerLimits, 'maxCost'>> & {
  maxCost: number | undefined;
};

/** Validated options with defaults filled in. */
export interface WorkerConfig {
  gateway: ModelGateway;
  runId: string;
  model: string;
  preamble: string;
  sharedPrefix: string | undefined;
  cacheTtl: '5m' | '1h';
  tools: readonly Tool[];
  limits: ResolvedLimits;
  summaryTokenCap: number;
  maxToolResultChars: number;
  transcripts: TranscriptStore;
  generateId: () => string;
  now: () => number;
  /** Calls go through `gateway.stream` (with the running-cost stop). */
  stream: boolean;
  /** A moving cache breakpoint on the newest turn of the history. */
  cacheHistory: boolean;
}

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function integerAtLeast(name: string, value: unknown, minimum: number): void {
  if (!Number.isInteger(value) || (value as number) < minimum)
    throw invalidOption(name, `an integer >= ${minimum}`, value);
}

/** Throws INVALID_OPTIONS naming `name` unless `value` is undefined or a boolean. */
export function optionalBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    throw invalidOption(name, 'a boolean', value);
}

/** Validates limits, field by field; `prefix` names them in errors. */
export function validateLimits(limits: WorkerLimits | undefined, prefix: string): void {
  if (limits === undefined) return;
  if (!limits || typeof limits !== 'object')
    throw invalidOption(prefix, 'an object of limits', limits);
  if (limits.maxTurns !== undefined) integerAtLeast(`${prefix}.maxTurns`, limits.maxTurns, 1);
  if (limits.maxTokens !== undefined) integerAtLeast(`${prefix}.maxTokens`, limits.maxTokens, 1);
  if (limits.maxCost !== undefined) integerAtLeast(`${prefix}.maxCost`, limits.maxCost, 0);
  if (limits.maxOutputTokens !== undefined)
    integerAtLeast(`${prefix}.maxOutputTokens`, limits.maxOutputTokens, 1);
  const { timeoutMs } = limits;
  // setTimeout fires at once (after a warning) for delays past 2^31 - 1 ms.
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' ||
      Number.isNaN(timeoutMs) ||
      timeoutMs <= 0 ||
      (timeoutMs > MAX_TIMER_MS && timeoutMs !== Number.POSITIVE_INFINITY))
  )
    throw invalidOption(
      `${prefix}.timeoutMs`,
      `a number of ms > 0 and <= ${MAX_TIMER_MS} (Infinity for none)`,
      timeoutMs,
    );
}

/** Fills limits from defaults, then `base`, then `override`. */
export function mergeLimits(
  base: ResolvedLimits,
  override: WorkerLimits | undefined,
): ResolvedLimits {
  if (!override) return base;
  const merged = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/**
 * Checks tools are built with defineTool() and their names unique (also
 * against `taken`, the worker's tools when checking a task's) and not reserved.
 */
export function validateTools(
  tools: readonly Tool[],
  name: string,
  taken: readonly Tool[] = [],
): void {
  if (!Array.isArray(tools))
    throw invalidOption(name, 'an array of tools from defineTool()', tools);
  const seen = new Set(taken.map((tool) => tool.name));
  for (const [index, tool] of tools.entries()) {
    if (!tool || typeof tool.toApiTool !== 'function' || typeof tool.run !== 'function')
      throw invalidOption(`${name}[${index}]`, 'a tool built with defineTool()', tool);
    if (tool.name === SUBMIT_RESULT_TOOL)
      throw invalidOption(
        `${name}[${index}].name`,
        `a name other than the reserved "${SUBMIT_RESULT_TOOL}"`,
        tool.name,
      );
    if (seen.has(tool.name))
      throw invalidOption(
        `${name}[${index}].name`,
        taken.some((other) => other.name === tool.name)
          ? "a name the worker's own tools do not use"
          : 'a name used by no other tool',
        tool.name,
      );
    seen.add(tool.name);
  }
}

/** Validates worker options and fills defaults, in one place. */
export function resolveWorkerConfig(options: WorkerConfigInput): WorkerConfig {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an object { gateway, ... }', options);
  const gateway = options.gateway;
  if (!gateway || typeof gateway.call !== 'function' || !gateway.ledger)
    throw invalidOption('gateway', 'a ModelGateway (e.g. createGateway())', gateway);
  const model = gateway.catalog.get(options.model ?? DEFAULT_WORKER_MODEL).id;
  const generateId = options.generateId ?? randomUUID;
  if (options.runId !== undefined && (typeof options.runId !== 'string' || options.runId === ''))
    throw invalidOption('runId', 'a non-empty string', options.runId);
  if (
    options.preamble !== undefined &&
    (typeof options.preamble !== 'string' || options.preamble.trim() === '')
  )
    throw invalidOption('preamble', 'a non-empty string', options.preamble);
  if (options.sharedPrefix !== undefined && typeof options.sharedPrefix !== 'string')
    throw invalidOption('sharedPrefix', 'a string', options.sharedPrefix);
  if (options.cacheTtl !== undefined && options.cacheTtl !== '5m' && options.cacheTtl !== '1h')
    throw invalidOption('cacheTtl', "'5m' or '1h'", options.cacheTtl);
  const summaryTokenCap = options.summaryTokenCap ?? DEFAULT_SUMMARY_TOKEN_CAP;
  integerAtLeast('summaryTokenCap', summaryTokenCap, 1);
  const maxToolResultChars = options.maxToolResultChars ?? DEFAULT_MAX_TOOL_RESULT_CHARS;
  integerAtLeast('maxToolResultChars', maxToolResultChars, 1);
  const tools = options.tools ?? [];
  validateTools(tools, 'tools');
  optionalBoolean('stream', options.stream);
  optionalBoolean('cacheHistory', options.cacheHistory);
  validateLimits(options.limits, 'limits');
  const defaults: ResolvedLimits = {
    maxTurns: DEFAULT_MAX_TURNS,
    maxTokens: DEFAULT_MAX_TOKENS,
    maxCost: undefined,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
  };
  return {
    gateway,
    runId: options.runId ?? generateId(),
    model,
    preamble: options.preamble ?? DEFAULT_WORKER_PREAMBLE,
    sharedPrefix: options.sharedPrefix === '' ? undefined : options.sharedPrefix,
    cacheTtl: options.cacheTtl ?? '5m',
    tools,
    limits: mergeLimits(defaults, options.limits),
    summaryTokenCap,
    maxToolResultChars,
    transcripts: options.transcripts ?? new MemoryTranscriptStore(),
    generateId,
    now: options.now ?? Date.now,
    stream: options.stream ?? false,
    cacheHistory: options.cacheHistory ?? true,
  };
}
