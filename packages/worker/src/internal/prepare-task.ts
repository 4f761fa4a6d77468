import { invalidOption, type ModelInfo } from '@haiku-army/core';
import { deepFreeze } from '@haiku-army/core/internal';
import * as z from 'zod';
import { normalizeBrief, renderBrief } from '../brief.js';
import { type ApiTool, modelFacingSchema, type Tool } from '../tool.js';
import type { WorkerTask } from '../worker-task.js';
import { buildSystem, type SystemBlocks } from './messages.js';
import { submitResultTool } from './submit-result.js';
import {
  mergeLimits,
  optionalBoolean,
  type ResolvedLimits,
  validateLimits,
  validateTools,
  type WorkerConfig,
} from './worker-config.js';

/** A task checked against its worker's config, with everything a run needs. */
export interface PreparedTask {
  task: WorkerTask<unknown>;
  model: ModelInfo;
  briefText: string;
  system: SystemBlocks;
  tools: Map<string, Tool>;
  apiTools: ApiTool[];
  limits: ResolvedLimits;
  outputSchema: z.ZodType | undefined;
  /** The task's `stream`, else the worker's. */
  stream: boolean;
  /** The task's `cacheHistory`, else the worker's. */
  cacheHistory: boolean;
}

/** The parts every task of a config without tools of its own shares. */
interface FixedParts {
  preamble: string;
  sharedPrefix: string | undefined;
  cacheTtl: '5m' | '1h';
  system: SystemBlocks;
  tools: Map<string, Tool>;
  apiTools: ApiTool[];
}

/** By the config's tools (a pool's per-run configs share them). */
const fixedByTools = new WeakMap<readonly Tool[], FixedParts>();

/** A deep-frozen copy of an API tool, or the tool itself when it cannot be copied. */
function frozenCopy(tool: ApiTool): ApiTool {
  try {
    return deepFreeze(structuredClone(tool));
  } catch {
    return tool;
  }
}

/**
 * The system blocks and tool definitions of a config's tasks, built once and
 * deep-frozen: every call of every task sends these same objects, so the
 * gateway measures them once (input bound, token estimate, cache marks)
 * instead of on every call.
 */
function fixedParts(config: WorkerConfig): FixedParts {
  const known = fixedByTools.get(config.tools);
  if (
    known &&
    known.preamble === config.preamble &&
    known.sharedPrefix === config.sharedPrefix &&
    known.cacheTtl === config.cacheTtl
  )
    return known;
  const fixed: FixedParts = {
    preamble: config.preamble,
    sharedPrefix: config.sharedPrefix,
    cacheTtl: config.cacheTtl,
    system: deepFreeze(buildSystem(config.preamble, config.sharedPrefix, config.cacheTtl)),
    tools: new Map(config.tools.map((tool) => [tool.name, tool])),
    apiTools: Object.freeze([
      ...config.tools.map((tool) => frozenCopy(tool.toApiTool())),
      frozenCopy(submitResultTool()),
    ]) as ApiTool[],
  };
  fixedByTools.set(config.tools, fixed);
  return fixed;
}

/** Validates a task (caller mistakes throw INVALID_OPTIONS / UNKNOWN_MODEL) and builds its request parts. */
export function prepareTask(config: WorkerConfig, task: WorkerTask<unknown>): PreparedTask {
  if (!task || typeof task !== 'object')
    throw invalidOption('task', 'an object { id, brief, ... }', task);
  if (typeof task.id !== 'string' || task.id.length === 0)
    throw invalidOption('task.id', 'a non-empty string', task.id);
  const brief = normalizeBrief(task.brief, 'task.brief');
  if (task.output !== undefined && !(task.output instanceof z.ZodType))
    throw invalidOption('task.output', 'a zod 4 schema', task.output);
  if (task.attempt !== undefined && (!Number.isInteger(task.attempt) || task.attempt < 1))
    throw invalidOption('task.attempt', 'an integer >= 1', task.attempt);
  if (task.priority !== undefined && !Number.isFinite(task.priority))
    throw invalidOption('task.priority', 'a finite number', task.priority);
  if (
    task.tags !== undefined &&
    (!Array.isArray(task.tags) || task.tags.some((tag) => typeof tag !== 'string'))
  )
    throw invalidOption('task.tags', 'an array of strings', task.tags);
  validateLimits(task.limits, 'task.limits');
  optionalBoolean('task.stream', task.stream);
  optionalBoolean('task.cacheHistory', task.cacheHistory);
  const model = config.gateway.catalog.get(task.model ?? config.model);
  const limits = mergeLimits(config.limits, task.limits);
  if (limits.maxOutputTokens > model.maxOutputTokens)
    throw invalidOption(
      'limits.maxOutputTokens',
      `at most ${model.maxOutputTokens} for ${model.id}`,
      limits.maxOutputTokens,
    );
  if (task.tools !== undefined) validateTools(task.tools, 'task.tools', config.tools);
  const allTools = [...config.tools, ...(task.tools ?? [])];
  const outputSchema = task.output ? modelFacingSchema(task.output, 'task.output') : undefined;
  const renderOptions = {
    summaryTokenCap: config.summaryTokenCap,
    ...(outputSchema ? { outputSchema } : {}),
  };
  const fixed = task.tools === undefined ? fixedParts(config) : undefined;
  return {
    task,
    model,
    briefText: renderBrief(brief, renderOptions),
    system: fixed?.system ?? buildSystem(config.preamble, config.sharedPrefix, config.cacheTtl),
    tools: fixed?.tools ?? new Map(allTools.map((tool) => [tool.name, tool])),
    apiTools: fixed?.apiTools ?? [...allTools.map((tool) => tool.toApiTool()), submitResultTool()],
    limits,
    outputSchema: task.output,
    stream: task.stream ?? config.stream,
    cacheHistory: task.cacheHistory ?? config.cacheHistory,
  };
}
