import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import PQueue, { type Queue, type QueueAddOptions } from 'p-queue';
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
const EXPECTED_QUEUE =
  'a class whose instances have enqueue, dequeue, filter, setPriority and size';

/**
 * Checks `queueClass` looks like a p-queue queue class without making one
 * (a durable queue's constructor may open a connection): a constructor
 * whose prototype chain has the queue methods. `size` may be a getter or
 * an instance property, so it is checked on the one instance p-queue
 * itself makes (see {@link createPoolQueue}).
 */
function validateQueueClass(queueClass: unknown): asserts queueClass is PoolQueueClass {
  if (typeof queueClass !== 'function' || typeof queueClass.prototype !== 'object')
    throw invalidOption('queueClass', EXPECTED_QUEUE, queueClass);
  const prototype = queueClass.prototype as Record<string, unknown>;
  const missing = QUEUE_METHODS.filter((name) => typeof prototype[name] !== 'function');
  if (missing.length > 0)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`queueClass\` to be ${EXPECTED_QUEUE}; its prototype lacks ${missing.join(', ')}. ` +
        "Subclass p-queue's PriorityQueue to get them all.",
    );
}

type PoolQueue = PQueue<Queue<() => Promise<unknown>, QueueAddOptions>, QueueAddOptions>;

/**
 * The pool's p-queue. With a `queueClass`, p-queue makes the only
 * instance of it; a constructor that throws, or an instance without a
 * numeric `size`, is an INVALID_OPTIONS error.
 */
export function createPoolQueue(config: PoolConfig): PoolQueue {
  const { concurrency, queueClass } = config;
  if (!queueClass) return new PQueue({ concurrency }) as PoolQueue;
  const lacksSize = new ArmyError(
    ERROR_CODES.INVALID_OPTIONS,
    `Expected \`queueClass\` to be ${EXPECTED_QUEUE}; its instances lack size. ` +
      "Subclass p-queue's PriorityQueue to get them all.",
  );
  // Checked as p-queue makes it, before p-queue reads `size` itself.
  const Checked = class extends queueClass {
    constructor() {
      super();
      if (typeof (this as { size?: unknown }).size !== 'number') throw lacksSize;
    }
  };
  let queue: PoolQueue;
  try {
    queue = new PQueue({ concurrency, queueClass: Checked }) as PoolQueue;
  } catch (error) {
    if (error === lacksSize) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`queueClass\` to be ${EXPECTED_QUEUE}, but \`new queueClass()\` threw: ${reason}`,
      { cause: error },
    );
  }
  return queue;
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
