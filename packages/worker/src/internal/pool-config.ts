import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import type { CacheWarmer } from '../cache-warmer.js';
import { DEFAULT_POOL_CONCURRENCY } from '../constants.js';
import type { PoolQueueClass, WorkerPoolOptions } from '../worker-pool-options.js';

/** The pool's own options, validated, with defaults filled in. */
export interface PoolConfig {
  concurrency: number;
  /** Undefined when cache warming is off. */
  warmers: Map<string, CacheWarmer> | undefined;
  taskEvents: boolean;
  queueClass: PoolQueueClass | undefined;
}

const QUEUE_METHODS = ['enqueue', 'dequeue', 'filter', 'setPriority'] as const;

/**
 * Checks `queueClass` builds a p-queue queue: a constructor whose instances
 * have the queue methods and a numeric `size`. p-queue constructs one at
 * once and would otherwise fail later, inside its scheduling.
 */
function validateQueueClass(queueClass: unknown): asserts queueClass is PoolQueueClass {
  const expected = 'a class whose instances have enqueue, dequeue, filter, setPriority and size';
  if (typeof queueClass !== 'function') throw invalidOption('queueClass', expected, queueClass);
  let probe: Record<string, unknown>;
  try {
    probe = new (queueClass as new () => Record<string, unknown>)();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`queueClass\` to be ${expected}, but \`new queueClass()\` threw: ${reason}`,
      { cause: error },
    );
  }
  const missing: string[] = QUEUE_METHODS.filter((name) => typeof probe[name] !== 'function');
  if (typeof probe.size !== 'number') missing.push('size');
  if (missing.length > 0)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`queueClass\` to be ${expected}; its instances lack ${missing.join(', ')}. ` +
        "Subclass p-queue's PriorityQueue to get them all.",
    );
}

/** Validates the pool-only options (the worker options are checked by resolveWorkerConfig). */
export function resolvePoolConfig(options: WorkerPoolOptions, sharedPrefix: unknown): PoolConfig {
  const concurrency = options.concurrency ?? DEFAULT_POOL_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw invalidOption('concurrency', 'an integer >= 1', concurrency);
  if (options.warmCache !== undefined && typeof options.warmCache !== 'boolean')
    throw invalidOption('warmCache', 'a boolean', options.warmCache);
  if (options.taskEvents !== undefined && typeof options.taskEvents !== 'boolean')
    throw invalidOption('taskEvents', 'a boolean', options.taskEvents);
  const shared = options.cacheWarmers;
  if (shared !== undefined && !(shared instanceof Map))
    throw invalidOption('cacheWarmers', 'a Map from cacheWarmerKey() to CacheWarmer', shared);
  if (options.queueClass !== undefined) validateQueueClass(options.queueClass);
  const warm = options.warmCache ?? (sharedPrefix !== undefined || shared !== undefined);
  return {
    concurrency,
    warmers: warm ? (shared ?? new Map()) : undefined,
    taskEvents: options.taskEvents ?? true,
    queueClass: options.queueClass,
  };
}
