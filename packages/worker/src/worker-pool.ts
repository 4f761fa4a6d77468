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
  /** Cancels every queued and running task of the pool. */
  signal?: AbortSignal;
}

/** Options of one submission. */
export interface PoolSubmitOptions {
  /** Higher starts first. @default task.priority ?? 0 */
  priority?: number;
  /** Cancels this task (queued or running). */
  signal?: AbortSignal;
}

/** A live snapshot of a pool. `failed` includes `cancelled`. Money in nano-USD. */
export interface WorkerPoolStats {
  queued: number;
  running: number;
  done: number;
  partial: number;
  failed: number;
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
  detach: () => void;
}

/**
 * Runs worker tasks with a concurrency limit (p-queue), priorities,
 * cancellation per task or all, live stats, `task:*` events on the
 * gateway's emitter and cache warming. Per-model rate limits are the
 * gateway's RateLimiter's job: every call goes through it.
 *
 * `submit` always resolves with a WorkerResult (cancelled tasks end
 * `failed` with code `ABORTED`); it rejects only for caller mistakes.
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
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.cancelAll(signal.reason);
      else signal.addEventListener('abort', () => this.cancelAll(signal.reason), { once: true });
    }
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
    let prepared: PreparedTask;
    try {
      prepared = prepareTask(this.#config, task as WorkerTask<unknown>);
      if (options.priority !== undefined && !Number.isFinite(options.priority))
        throw invalidOption('priority', 'a finite number', options.priority);
      if (this.#entries.has(task.id))
        throw invalidOption('task.id', 'an id no queued or running task of this pool has', task.id);
    } catch (error) {
      return Promise.reject(error);
    }
    const entry: Entry = {
      prepared,
      state: 'queued',
      dequeue: new AbortController(),
      cancel: new AbortController(),
      detach: () => {},
    };
    const external = options.signal;
    if (external) {
      const onAbort = () => this.#cancelEntry(entry, external.reason);
      if (external.aborted) queueMicrotask(onAbort);
      else {
        external.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => external.removeEventListener('abort', onAbort);
      }
    }
    this.#entries.set(task.id, entry);
    this.#config.gateway.events.emit('task:queued', this.#event(prepared));
    // Bookkeeping happens inside the queued function, so a slot is only
    // given to the next task once this one's stats are updated.
    const settled = this.#queue
      .add(async () => this.#settle(entry, await this.#execute(entry)), {
        priority: options.priority ?? task.priority ?? 0,
        signal: entry.dequeue.signal,
      })
      .catch(async (error: unknown) => {
        if (entry.state !== 'queued') throw error;
        // Removed from the queue before it started: end it as cancelled,
        // through the same run code (no call is made; a transcript is kept).
        const run = new WorkerRun(this.#config, entry.prepared, { signal: entry.cancel.signal });
        return this.#settle(entry, await run.run());
      });
    this.#pending.add(settled);
    settled.finally(() => this.#pending.delete(settled)).catch(() => {});
    return settled as Promise<WorkerResult<TData>>;
  }

  /** Queues several tasks; resolves with their results in the order given. */
  submitAll<TData = unknown>(
    tasks: readonly WorkerTask<TData>[],
    options: PoolSubmitOptions = {},
  ): Promise<WorkerResult<TData>[]> {
    return Promise.all(tasks.map((task) => this.submit(task, options)));
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
    entry.detach();
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
