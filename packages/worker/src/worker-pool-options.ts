import type { NanoUsd } from '@haiku-army/core';
import type { Queue, QueueAddOptions } from 'p-queue';
import type { CacheWarmer } from './cache-warmer.js';
import type { WorkerOptions } from './worker.js';

/**
 * A queue class for the pool's p-queue (its `queueClass` option): a class
 * with `enqueue(run, options)`, `dequeue()`, `filter(options)`, `setPriority`
 * and a `size` getter, and ideally `remove(id)` so a task cancelled while
 * queued leaves the queue at once. The pool enqueues each task with
 * `{ id: runId + "\0" + task.id, priority, signal }` (a task is known by
 * its run and id together). Subclass p-queue's `PriorityQueue` to
 * keep its ordering and add to it.
 */
export type PoolQueueClass = new () => Queue<() => Promise<unknown>, QueueAddOptions>;

/** Options for {@link WorkerPool}: the worker defaults plus scheduling. */
export interface WorkerPoolOptions extends WorkerOptions {
  /**
   * The default run every task's calls are attributed to. A task's own
   * `runId`, or the submission's, wins over it.
   * @default a generated id
   */
  runId?: string;
  /** Workers running at once. @default 8 */
  concurrency?: number;
  /**
   * Hold every task's first model call until the first task's first call has
   * its response, so the shared prefix is written to the cache once and read
   * by the rest (one {@link CacheWarmer} per model, tools and system).
   * @default true when `sharedPrefix` or `cacheWarmers` is set, else false
   */
  warmCache?: boolean;
  /**
   * The warmers to use, keyed by {@link cacheWarmerKey}; the pool adds one
   * for each prefix it meets that has none. Pass the same map to several
   * pools (or drive it from an orchestrator) so they warm each prefix once
   * between them.
   * @default a map of the pool's own
   */
  cacheWarmers?: Map<string, CacheWarmer>;
  /**
   * Emit `task:queued`, `task:start` and `task:end` on `gateway.events`.
   * Turn it off when something else owns the task's lifecycle (an
   * orchestrator that escalates a subtask through several attempts emits
   * them once per subtask itself).
   * @default true
   */
  taskEvents?: boolean;
  /**
   * The queue class p-queue orders waiting tasks with (p-queue's own
   * `queueClass` seam), e.g. a fair queue across runs.
   * @default p-queue's PriorityQueue (higher priority first, FIFO among equals)
   */
  queueClass?: PoolQueueClass;
  /** Cancels every queued and running task of the pool, and any submitted after it fires. */
  signal?: AbortSignal;
}

/** Options of one submission (`submit`, or every task of a `submitAll`). */
export interface PoolSubmitOptions {
  /** Higher starts first. @default task.priority ?? 0 */
  priority?: number;
  /**
   * The run the submitted task(s)' calls, tool contexts, transcripts and
   * `task:*` events are attributed to; wins over `task.runId`.
   * @default task.runId ?? the pool's runId
   */
  runId?: string;
  /** Cancels the submitted task(s), queued or running. */
  signal?: AbortSignal;
}

/** A live snapshot of a pool. `failed` includes `cancelled`. Money in nano-USD. */
export interface WorkerPoolStats {
  /** Tasks waiting for a slot. */
  queued: number;
  /** Tasks holding a slot (including those waiting for the cache to be warmed). */
  running: number;
  /** Finished tasks by status. */
  done: number;
  partial: number;
  failed: number;
  /** Finished tasks that were cancelled (code `ABORTED`); also counted in `failed`. */
  cancelled: number;
  /** Spent by this pool's tasks so far, including running ones. */
  cost: NanoUsd;
}

/** Options of {@link WorkerPool.cancel}. */
export interface PoolCancelOptions {
  /**
   * The run whose task to cancel. Without it, every pending task with the
   * given id is cancelled, whatever its run.
   * @default every run
   */
  runId?: string;
  /** The abort reason the cancelled task's signal carries. @default an AbortError */
  reason?: unknown;
}
