import {
  ArmyError,
  type BatchGateway,
  ERROR_CODES,
  invalidOption,
  type ModelGateway,
} from '@haiku-army/core';
import type { ArmyOptions } from '../army-options.js';
import { DEFAULT_BATCH_CONCURRENCY, DEFAULT_BATCH_WINDOW_MS } from '../constants.js';

/** How a run sends its workers' calls. */
export type RunMode = 'interactive' | 'batch';

/** The army's batch-mode options, validated, with defaults filled in. */
export interface BatchSettings {
  /** The army's default mode (a run may override it). */
  mode: RunMode;
  /** Ms from a run's start after which batching stops. */
  deadlineMs: number | undefined;
  toolTurns: 'batch' | 'interactive';
  windowMs: number;
  /** Undefined: core's default. */
  pollIntervalMs: number | undefined;
  /** Workers at once in a batch-mode run. */
  concurrency: number;
}

/** Whether a gateway can send Message Batches (core's `Gateway` can). */
export function isBatchGateway(gateway: ModelGateway): gateway is BatchGateway {
  const candidate = gateway as Partial<BatchGateway>;
  return typeof candidate.batch === 'function' && typeof candidate.resumeBatch === 'function';
}

/** Checks a `mode` value (the army's, or one run's). */
export function checkMode(value: unknown): RunMode | undefined {
  if (value === undefined) return undefined;
  if (value !== 'interactive' && value !== 'batch')
    throw invalidOption('mode', "'interactive' or 'batch'", value);
  return value;
}

/** The gateway as a BatchGateway, or an INVALID_OPTIONS error naming `mode`. */
export function requireBatchGateway(gateway: ModelGateway): BatchGateway {
  if (isBatchGateway(gateway)) return gateway;
  throw new ArmyError(
    ERROR_CODES.INVALID_OPTIONS,
    "`mode: 'batch'` needs a gateway that sends Message Batches (`batch` and `resumeBatch`, as core's createGateway() has), " +
      "but the army's `gateway` has none. Pass a core Gateway (or drop `gateway` to let the army build one), or use `mode: 'interactive'`.",
  );
}

function milliseconds(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum)
    throw invalidOption(name, `an integer number of ms >= ${minimum}`, value);
  return value;
}

/** Validates the batch options of {@link ArmyOptions}; `mode: 'batch'` checks the gateway now. */
export function resolveBatchSettings(options: ArmyOptions, gateway: ModelGateway): BatchSettings {
  const mode = checkMode(options.mode) ?? 'interactive';
  const toolTurns = options.batchToolTurns ?? 'batch';
  if (toolTurns !== 'batch' && toolTurns !== 'interactive')
    throw invalidOption('batchToolTurns', "'batch' or 'interactive'", toolTurns);
  const settings: BatchSettings = {
    mode,
    deadlineMs:
      options.batchDeadlineMs === undefined
        ? undefined
        : milliseconds('batchDeadlineMs', options.batchDeadlineMs, 0),
    toolTurns,
    windowMs: milliseconds('batchWindowMs', options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS, 0),
    pollIntervalMs:
      options.batchPollIntervalMs === undefined
        ? undefined
        : milliseconds('batchPollIntervalMs', options.batchPollIntervalMs, 1),
    concurrency: options.concurrency ?? DEFAULT_BATCH_CONCURRENCY,
  };
  if (mode === 'batch') requireBatchGateway(gateway);
  return settings;
}
