import type { WorkerLimits } from '@haiku-army/worker';
import { BatchCollector } from './batch-collector.js';
import { isBatchGateway, type RunMode, requireBatchGateway } from './batch-settings.js';
import type { ResolvedArmyOptions } from './resolve-army-options.js';
import type { RunGateway } from './run-gateway.js';
import type { RunSpec } from './run-spec.js';

/** How one run's worker pool is set up for its mode. */
export interface RunModeSetup {
  mode: RunMode;
  /** The pool's gateway in batch mode (or to reattach a resumed run's batches); undefined: the run's gateway. */
  collector: BatchCollector | undefined;
  /** Workers and DAG slots at once. */
  concurrency: number;
  /** The pool's `warmCache` (undefined: the army's rule). */
  warmCache: boolean | undefined;
  limits: WorkerLimits | undefined;
}

/**
 * The run's mode (`spec.mode`, else the army's) and what follows from it.
 * Batch mode: the pool calls through a {@link BatchCollector}; every ready
 * subtask may join a wave (the batch concurrency); cache warming is off
 * unless asked for (holding every first call until one batch returns would
 * add a whole batch's latency); a worker's wall-time limit is off unless
 * set, since a batch may take hours (`batchDeadlineMs` bounds the wait).
 */
export function setUpRunMode(
  options: ResolvedArmyOptions,
  spec: Pick<RunSpec<unknown>, 'mode' | 'resume' | 'stream'>,
  context: { runId: string; gateway: RunGateway; signal: AbortSignal; startedAt: number },
): RunModeSetup {
  const settings = options.batch;
  const mode = spec.mode ?? settings.mode;
  const batching = mode === 'batch';
  const resumed = spec.resume?.batches ?? [];
  const creates = spec.resume?.creates ?? [];
  const collector =
    batching || (resumed.length + creates.length > 0 && isBatchGateway(options.gateway))
      ? new BatchCollector({
          runId: context.runId,
          gateway: context.gateway,
          batches: requireBatchGateway(options.gateway),
          recorder: options.recorder,
          batching,
          toolTurns: settings.toolTurns,
          windowMs: settings.windowMs,
          pollIntervalMs: settings.pollIntervalMs,
          deadlineAt:
            batching && settings.deadlineMs !== undefined
              ? context.startedAt + settings.deadlineMs
              : undefined,
          resume: resumed,
          resumeCreates: creates,
          journaledBatchIds: spec.resume?.batchIds,
          // A streamed map's chunk holds up to 100,000 requests: journal their ids, not their bodies.
          journalRequests: spec.stream === undefined,
          now: options.now,
          signal: context.signal,
        })
      : undefined;
  if (!batching)
    return {
      mode,
      collector,
      concurrency: options.concurrency,
      warmCache: undefined,
      limits: options.limits,
    };
  return {
    mode,
    collector,
    concurrency: settings.concurrency,
    warmCache: options.warmCache ?? false,
    limits:
      options.limits?.timeoutMs === undefined
        ? { ...options.limits, timeoutMs: Number.POSITIVE_INFINITY }
        : options.limits,
  };
}
