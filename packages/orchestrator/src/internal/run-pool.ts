import { estimateTextTokens, type ModelGateway } from '@haiku-army/core';
import { DEFAULT_WORKER_PREAMBLE, WorkerPool } from '@haiku-army/worker';
import type { RunModeSetup } from './batch-mode.js';
import type { ResolvedArmyOptions } from './resolve-army-options.js';

/** One signal that aborts when any of `signals` does. */
export function linkSignals(signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 0) return new AbortController().signal;
  return present.length === 1 ? present[0]! : AbortSignal.any(present);
}

/**
 * Whether the workers' shared prefix (tools, preamble and `sharedPrefix`, up
 * to the worker's `cache_control` breakpoint) is long enough to be cached,
 * so warming pays.
 */
function prefixIsCacheable(options: ResolvedArmyOptions): boolean {
  if (options.sharedPrefix === undefined) return false;
  const model = options.gateway.catalog.get(options.workerModel);
  const tools = JSON.stringify(options.tools.map((tool) => tool.toApiTool()));
  const tokens = estimateTextTokens(
    `${options.preamble ?? DEFAULT_WORKER_PREAMBLE}\n${options.sharedPrefix}\n${tools}`,
    model.tier,
  );
  return tokens >= model.minCacheableTokens;
}

/** The worker pool of one run, over the run's gateway (or its batch collector, in batch mode). */
export function createRunPool(
  options: ResolvedArmyOptions,
  setup: RunModeSetup,
  gateway: ModelGateway,
  runId: string,
  signal: AbortSignal,
): WorkerPool {
  return new WorkerPool({
    gateway: setup.collector ?? gateway,
    runId,
    model: options.workerModel,
    concurrency: setup.concurrency,
    taskEvents: false,
    tools: options.tools,
    warmCache: setup.warmCache ?? options.warmCache ?? prefixIsCacheable(options),
    transcripts: options.transcripts,
    generateId: options.generateId,
    now: options.now,
    signal,
    ...(options.sharedPrefix !== undefined ? { sharedPrefix: options.sharedPrefix } : {}),
    ...(options.preamble !== undefined ? { preamble: options.preamble } : {}),
    ...(setup.limits !== undefined ? { limits: setup.limits } : {}),
    ...(options.summaryTokenCap !== undefined ? { summaryTokenCap: options.summaryTokenCap } : {}),
  });
}
