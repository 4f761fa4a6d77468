import { invalidOption, type NanoUsd, type TaskEvent } from '@haiku-army/core';
import PQueue from 'p-queue';
import { DEFAULT_POOL_CONCURRENCY } from './constants.js';
import { CacheWarmer } from './internal/cache-warmer.js';
import { type PreparedTask, prepareTask } from './internal/prepare-task.js';
import { resolveWorkerConfig, type WorkerConfig } from './internal/worker-config.js';
import { type WorkerHooks, WorkerRun } from './internal/worker-run.js';
import type { TranscriptStore } from './transcript-store.js';
import type { WorkerOptions } from './worker.js';
import type { WorkerResult } from './worker-result.js';
import type { WorkerTask } from './worker-task.js';

/** Options for {@link WorkerPool}: the worker defaults plus scheduling. */
export interface WorkerPoolOptions extends WorkerOptions {
  /** Workers running at once. @default 8 */
  concurrency?: number;
  /**
   * Hold every task's first model call until the first task's first call has
   * its response, so the shared prefix is written to the cache once and read
   * by the rest.
   * @default true when `sharedPrefix` is set, else false
   */
  warmCache?: boolean;
  /** Cancels every queued and running task of the pool, and any submitted after it fires. */
  signal?: AbortSignal;
}

/** Options of one submission (`submit`, or every task of a `submitAll`). */
export interface PoolSubmitOptions {
  /** Higher starts first. @default task.priority ?? 0 */
  priority?: number;
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

interface Entry {
  prepared: PreparedTask;
  state: 'queued' | 'running';
  /** Removes the task from the queue; only ever aborted while it is queued. */
  dequeue: AbortController;
  /** Cancels the running worker. */
  cancel: AbortController;
  /** Resolves with the result (rejects only on a bug in the pool's own bookkeeping). */
  settled: Promise<WorkerResult>;
}

/**
 * Runs worker tasks with a concurrency limit (p-queue), priorities,
 * cancellation per task or all, live stats, `task:*` events on the
 * gateway's emitter and cache warming. Per-model rate limits are the
 * gateway's RateLimiter's job: every call goes through it.
 *
 * `submit` always resolves with a WorkerResult (cancelled tasks end
 * `failed` with code `ABORTED`); it rejects only for caller mistakes. A
 * task cancelled while queued gets `task:queued` and `task:end`, no `task:start`.
 *
 * @example
 * const pool = new WorkerPool({ gateway, concurrency: 16, tools: codebaseTools({ root: '.' }) });
 * const results = await pool.submitAll(files.map((file) => ({ id: file, brief: `Summarise ${file}` })));
 */
export class WorkerPool {
  readonly #config: WorkerConfig;
  readonly #queue: PQueue;
  /** One warmer per cache prefix (model and tools); undefined when warming is off. */
  readonly #warmers: Map<string, CacheWarmer> | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #signal: AbortSignal | undefined;
  readonly #results: WorkerResult[] = [];
  readonly #counts = { done: 0, partial: 0, failed: 0, cancelled: 0 };
  #cost = 0;

  constructor(options: WorkerPoolOptions) {
    this.#config = resolveWorkerConfig(options);
    const concurrency = options.concurrency ?? DEFAULT_POOL_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw invalidOption('concurrency', 'an integer >= 1', concurrency);
    if (options.warmCache !== undefined && typeof options.warmCache !== 'boolean')
      throw invalidOption('warmCache', 'a boolean', options.warmCache);
    this.#queue = new PQueue({ concurrency });
    const warm = options.warmCache ?? this.#config.sharedPrefix !== undefined;
    this.#warmers = warm ? new Map() : undefined;
    // Tasks pending when it fires are cancelled here; later ones as they are queued.
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.#onPoolAbort, { once: true });
  }

  readonly #onPoolAbort = (): void => {
    this.cancelAll(this.#signal?.reason);
  };

  /**
   * Stops listening to the pool's `signal`, so a long-lived signal (say, the
   * application's shutdown) does not keep finished pools alive. Tasks still
   * pending run to the end.
   */
  close(): void {
    this.#signal?.removeEventListener('abort', this.#onPoolAbort);
  }

  /** `using pool = new WorkerPool(...)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The run id every call is attributed to. */
  get runId(): string {
    return this.#config.runId;
  }

  /** The transcript store of the pool's workers. */
  get transcripts(): TranscriptStore {
    return this.#config.transcripts;
  }

  /** A live snapshot: queued, running, outcomes so far and cost so far. */
  get stats(): WorkerPoolStats {
    let queued = 0;
    let running = 0;
    for (const entry of this.#entries.values()) {
      if (entry.state === 'queued') queued += 1;
      else running += 1;
    }
    return { queued, running, ...this.#counts, cost: this.#cost };
  }

  /** Results of finished tasks, in the order they finished. */
  results(): WorkerResult[] {
    return [...this.#results];
  }

  /** Queues one task; resolves with its result once it has run (or was cancelled). */
  submit<TData = unknown>(
    task: WorkerTask<TData>,
    options: PoolSubmitOptions = {},
  ): Promise<WorkerResult<TData>> {
    return this.submitAll([task], options).then(([result]) => result!);
  }

  /**
   * Queues several tasks; resolves with their results in the order given.
   * Every task is checked first: if one is bad (or two share an id), none
   * is queued and the promise rejects.
   */
  submitAll<TData = unknown>(
    tasks: readonly WorkerTask<TData>[],
    options: PoolSubmitOptions = {},
  ): Promise<WorkerResult<TData>[]> {
    let prepared: PreparedTask[];
    try {
      if (!Array.isArray(tasks)) throw invalidOption('tasks', 'an array of tasks', tasks);
      if (options.priority !== undefined && !Number.isFinite(options.priority))
        throw invalidOption('priority', 'a finite number', options.priority);
      const ids = new Set<string>();
      prepared = tasks.map((task) => {
        const ready = prepareTask(this.#config, task as WorkerTask<unknown>);
        if (this.#entries.has(task.id) || ids.has(task.id))
          throw invalidOption(
            'task.id',
            'an id no queued or running task of this pool has',
            task.id,
          );
        ids.add(task.id);
        return ready;
      });
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal;
    const entries = prepared.map((ready) => this.#enqueue(ready, options.priority, signal));
    const settled = Promise.all(entries.map((entry) => entry.settled));
    if (signal && !signal.aborted) {
      // One listener for the whole batch: a listener per task would trip
      // Node's MaxListenersExceededWarning on a shared signal.
      const onAbort = () => {
        for (const entry of entries) this.#cancelEntry(entry, signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      settled.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {});
    }
    return settled as Promise<WorkerResult<TData>[]>;
  }

  /** Cancels a queued or running task. Returns false when no such task is pending. */
  cancel(taskId: string, reason?: unknown): boolean {
    const entry = this.#entries.get(taskId);
    if (!entry) return false;
    this.#cancelEntry(entry, reason);
    return true;
  }

  /** Cancels every queued and running task. Returns how many were pending. */
  cancelAll(reason?: unknown): number {
    const entries = [...this.#entries.values()];
    for (const entry of entries) this.#cancelEntry(entry, reason);
    return entries.length;
  }

  /** Resolves once every submitted task has its result. */
  async onIdle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Puts a checked task in the queue and emits `task:queued`. */
  #enqueue(
    prepared: PreparedTask,
    priority: number | undefined,
    external: AbortSignal | undefined,
  ): Entry {
    const entry = {
      prepared,
      state: 'queued',
      dequeue: new AbortController(),
      cancel: new AbortController(),
    } as Entry;
    this.#entries.set(prepared.task.id, entry);
    this.#config.gateway.events.emit('task:queued', this.#event(prepared));
    // Cancelled before it is added, it leaves the queue at once and never starts.
    const aborted = [this.#signal, external].find((signal) => signal?.aborted);
    if (aborted) this.#cancelEntry(entry, aborted.reason);
    // Bookkeeping happens inside the queued function, so a slot is only
    // given to the next task once this one's stats are updated.
    entry.settled = this.#queue
      .add(async () => this.#settle(entry, await this.#execute(entry)), {
        priority: priority ?? prepared.task.priority ?? 0,
        signal: entry.dequeue.signal,
      })
      .catch(async (error: unknown) => {
        if (entry.state !== 'queued') throw error;
        // Removed from the queue before it started: end it as cancelled,
        // through the same run code (no call is made; a transcript is kept).
        const run = new WorkerRun(this.#config, entry.prepared, { signal: entry.cancel.signal });
        return this.#settle(entry, await run.run());
      });
    this.#pending.add(entry.settled);
    entry.settled.finally(() => this.#pending.delete(entry.settled)).catch(() => {});
    return entry;
  }

  #cancelEntry(entry: Entry, reason: unknown): void {
    const why = reason ?? new Error('cancelled through the worker pool');
    entry.cancel.abort(why);
    if (entry.state === 'queued') entry.dequeue.abort(why);
  }

  #event(prepared: PreparedTask): TaskEvent {
    const { task, model } = prepared;
    return {
      runId: this.#config.runId,
      taskId: task.id,
      ...(task.parentTaskId !== undefined ? { parentTaskId: task.parentTaskId } : {}),
      model: model.id,
    };
  }

  #execute(entry: Entry): Promise<WorkerResult> {
    entry.state = 'running';
    this.#config.gateway.events.emit('task:start', this.#event(entry.prepared));
    const hooks: WorkerHooks = {
      onCall: (ledgerEntry) => {
        this.#cost += ledgerEntry.cost.total;
      },
    };
    const warmer = this.#warmerFor(entry.prepared);
    if (warmer) hooks.gateFirstCall = (signal) => warmer.acquire(signal);
    return new WorkerRun(this.#config, entry.prepared, {
      signal: entry.cancel.signal,
      hooks,
    }).run();
  }

  /** Tasks share a cache entry only with the same model and tools (tools precede the system prompt). */
  #warmerFor(prepared: PreparedTask): CacheWarmer | undefined {
    if (!this.#warmers) return undefined;
    const key = `${prepared.model.id}\n${prepared.apiTools.map((tool) => tool.name).join('\n')}`;
    let warmer = this.#warmers.get(key);
    if (!warmer) {
      warmer = new CacheWarmer();
      this.#warmers.set(key, warmer);
    }
    return warmer;
  }

  #settle(entry: Entry, result: WorkerResult): WorkerResult {
    this.#entries.delete(entry.prepared.task.id);
    this.#results.push(result);
    this.#counts[result.status] += 1;
    if (result.code === 'ABORTED') this.#counts.cancelled += 1;
    this.#config.gateway.events.emit('task:end', {
      ...this.#event(entry.prepared),
      status: result.status,
      cost: result.cost.total,
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(result.reason !== undefined ? { reason: result.reason } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    });
    return result;
  }
}
