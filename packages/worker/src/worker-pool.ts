import {
  AbortError,
  ArmyError,
  type Attribution,
  ERROR_CODES,
  type GatewayRequest,
  invalidOption,
  type TaskEndEvent,
  type TaskEvent,
} from '@haiku-army/core';
import type PQueue from 'p-queue';
import type { Queue, QueueAddOptions } from 'p-queue';
import {
  CacheWarmer,
  cacheWarmerKey,
  DEFAULT_CACHE_WARMER_TTL_MS,
  ONE_HOUR_CACHE_TTL_MS,
} from './cache-warmer.js';
import { createPoolQueue, type PoolConfig, resolvePoolConfig } from './internal/pool-config.js';
import { type PreparedTask, prepareTask } from './internal/prepare-task.js';
import { checkRunId, resolveRunId } from './internal/run-id.js';
import { resolveWorkerConfig, type WorkerConfig } from './internal/worker-config.js';
import {
  firstWorkerRequest,
  type WorkerHooks,
  WorkerRun,
  workerAttribution,
} from './internal/worker-run.js';
import type { TranscriptStore } from './transcript-store.js';
import type {
  PoolCancelOptions,
  PoolSubmitOptions,
  WorkerPoolOptions,
  WorkerPoolStats,
} from './worker-pool-options.js';
import type { WorkerResult } from './worker-result.js';
import type { WorkerTask } from './worker-task.js';

interface Entry {
  /** `runId + "\0" + taskId`: the entry's key and its p-queue id. */
  key: string;
  prepared: PreparedTask;
  /** The worker config of this task: the pool's, with the task's run id. */
  config: WorkerConfig;
  state: 'queued' | 'running';
  /** Removes the task from the queue; only ever aborted while it is queued. */
  dequeue: AbortController;
  /** Cancels the running worker. */
  cancel: AbortController;
  /** Resolves with the result; rejects only when the queue class or the pool's bookkeeping fails. */
  settled: Promise<WorkerResult>;
}

/**
 * A pending task's key: its run and its id (a NUL cannot occur in either
 * half's meaning, so two runs' `t1`s never collide).
 */
export function poolTaskKey(runId: string, taskId: string): string {
  return `${runId}\0${taskId}`;
}

type PoolQueue = PQueue<Queue<() => Promise<unknown>, QueueAddOptions>, QueueAddOptions>;

/**
 * Runs worker tasks with a concurrency limit (p-queue, with an injectable
 * `queueClass`), priorities, cancellation per task or all, live O(1)
 * stats, `task:*` events on the gateway's emitter (unless `taskEvents` is
 * false) and cache warming ({@link CacheWarmer}). Per-model rate limits are
 * the gateway's RateLimiter's job: every call goes through it. Each task
 * is attributed to its own run (`submit(task, { runId })`, `task.runId`,
 * or the pool's `runId`), and known by its run and id together: two runs
 * may each have a pending `t1`. The pool keeps nothing of a task once it has
 * settled: results go to whoever awaited them.
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
  readonly #pool: PoolConfig;
  readonly #queue: PoolQueue;
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #signal: AbortSignal | undefined;
  readonly #counts = { queued: 0, running: 0, done: 0, partial: 0, failed: 0, cancelled: 0 };
  #cost = 0;

  constructor(options: WorkerPoolOptions) {
    this.#config = resolveWorkerConfig(options);
    this.#pool = resolvePoolConfig(options, this.#config.sharedPrefix);
    this.#queue = createPoolQueue(this.#pool);
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

  /** The default run id: tasks with no `runId` of their own (or of their submission) are attributed to it. */
  get runId(): string {
    return this.#config.runId;
  }

  /** The transcript store of the pool's workers. */
  get transcripts(): TranscriptStore {
    return this.#config.transcripts;
  }

  /** A live snapshot: queued, running, outcomes so far and cost so far. */
  get stats(): WorkerPoolStats {
    return { ...this.#counts, cost: this.#cost };
  }

  /**
   * The first model call a task submitted to this pool would make, built as
   * its run builds it (its request and attribution), without running it: a
   * batch can carry the first turns of many tasks before their runs start,
   * and each run's first call is then answered from its batch result.
   * Undefined when the pool cannot promise that call as built: cache
   * warming holds first calls, or the task's `maxCost` checks it first.
   * @throws ArmyError `INVALID_OPTIONS` / `UNKNOWN_MODEL` for a bad task, as `submit` does
   */
  firstCall(
    task: WorkerTask<unknown>,
  ): { request: GatewayRequest; attribution: Attribution } | undefined {
    const prepared = prepareTask(this.#config, task);
    if (this.#pool.warmers) return undefined;
    const request = firstWorkerRequest(prepared);
    if (!request) return undefined;
    const runId = resolveRunId(this.#config.runId, task.runId, undefined);
    return { request, attribution: workerAttribution(runId, prepared.task) };
  }

  /** Queues one task; resolves with its result once it has run (or was cancelled). */
  submit<TData = unknown>(
    task: WorkerTask<TData>,
    options: PoolSubmitOptions = {},
  ): Promise<WorkerResult<TData>> {
    return this.submitAll([task], options).then((results) => results[0] as WorkerResult<TData>);
  }

  /**
   * Queues several tasks; resolves with their results in the order given.
   * Every task is checked first: if one is bad (or two share an id), none
   * is queued and the promise rejects (code `INVALID_OPTIONS` or `UNKNOWN_MODEL`).
   */
  submitAll<TData = unknown>(
    tasks: readonly WorkerTask<TData>[],
    options: PoolSubmitOptions = {},
  ): Promise<WorkerResult<TData>[]> {
    let checked: { key: string; prepared: PreparedTask; config: WorkerConfig }[];
    try {
      checked = this.#check(tasks as readonly WorkerTask<unknown>[], options);
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal;
    const entries = checked.map(({ key, prepared, config }) =>
      this.#enqueue(key, prepared, config, options.priority, signal),
    );
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

  /**
   * Cancels a queued or running task. A task is known by its run and its
   * id: with `options.runId`, only that run's task of that id is
   * cancelled; without it, every pending task of that id, whatever its run.
   * Returns false when no such task is pending.
   */
  cancel(taskId: string, options: PoolCancelOptions = {}): boolean {
    if (typeof taskId !== 'string') throw invalidOption('taskId', 'a task id string', taskId);
    if (!options || typeof options !== 'object')
      throw invalidOption('options', 'an object { runId?, reason? }', options);
    if (options.runId !== undefined) checkRunId('options.runId', options.runId);
    const entries =
      options.runId !== undefined
        ? [this.#entries.get(poolTaskKey(options.runId, taskId))].filter(
            (entry): entry is Entry => entry !== undefined,
          )
        : [...this.#entries.values()].filter((entry) => entry.prepared.task.id === taskId);
    for (const entry of entries) this.#cancelEntry(entry, options.reason);
    return entries.length > 0;
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

  /** Checks a submission (caller mistakes throw) and gives each task its run's config. */
  #check(tasks: readonly WorkerTask<unknown>[], options: PoolSubmitOptions) {
    if (!Array.isArray(tasks)) throw invalidOption('tasks', 'an array of tasks', tasks);
    if (!options || typeof options !== 'object')
      throw invalidOption('options', 'an object { priority?, runId?, signal? }', options);
    if (options.priority !== undefined && !Number.isFinite(options.priority))
      throw invalidOption('options.priority', 'a finite number', options.priority);
    if (options.runId !== undefined) checkRunId('options.runId', options.runId);
    const keys = new Set<string>();
    return tasks.map((task) => {
      const prepared = prepareTask(this.#config, task);
      const runId = resolveRunId(this.#config.runId, task.runId, options.runId);
      const key = poolTaskKey(runId, task.id);
      if (this.#entries.has(key))
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          `Task id "${task.id}" of run "${runId}" is already queued or running in this pool. ` +
            'Give each pending task of a run its own id, or wait for (or cancel) the first one.',
        );
      if (keys.has(key))
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          `Task id "${task.id}" of run "${runId}" appears more than once in this submission. ` +
            'Give each task of a run its own id.',
        );
      keys.add(key);
      const config = runId === this.#config.runId ? this.#config : { ...this.#config, runId };
      return { key, prepared, config };
    });
  }

  /** Puts a checked task in the queue and emits `task:queued`. */
  #enqueue(
    key: string,
    prepared: PreparedTask,
    config: WorkerConfig,
    priority: number | undefined,
    external: AbortSignal | undefined,
  ): Entry {
    const entry = {
      key,
      prepared,
      config,
      state: 'queued',
      dequeue: new AbortController(),
      cancel: new AbortController(),
    } as Entry;
    const { task } = prepared;
    this.#entries.set(key, entry);
    this.#counts.queued += 1;
    this.#emit('task:queued', this.#event(entry));
    // Cancelled before it is added, it leaves the queue at once and never starts.
    const aborted = [this.#signal, external].find((signal) => signal?.aborted);
    if (aborted) this.#cancelEntry(entry, aborted.reason);
    // Bookkeeping happens inside the queued function, so a slot is only
    // given to the next task once this one's stats are updated.
    entry.settled = this.#queue
      .add(async () => this.#settle(entry, await this.#execute(entry)), {
        id: key,
        priority: priority ?? task.priority ?? 0,
        signal: entry.dequeue.signal,
      })
      .catch(async (error: unknown) => {
        if (entry.state === 'queued' && entry.dequeue.signal.aborted) {
          // Removed from the queue before it started: end it as cancelled,
          // through the same run code (no call is made; a transcript is kept).
          const run = new WorkerRun(entry.config, entry.prepared, { signal: entry.cancel.signal });
          return this.#settle(entry, await run.run());
        }
        throw this.#failed(entry, error);
      });
    this.#pending.add(entry.settled);
    entry.settled.finally(() => this.#pending.delete(entry.settled)).catch(() => {});
    return entry;
  }

  #cancelEntry(entry: Entry, reason: unknown): void {
    const why = reason ?? new AbortError('cancelled through the worker pool');
    entry.cancel.abort(why);
    if (entry.state === 'queued') entry.dequeue.abort(why);
  }

  #emit(name: 'task:queued' | 'task:start', event: TaskEvent): void;
  #emit(name: 'task:end', event: TaskEndEvent): void;
  #emit(name: 'task:queued' | 'task:start' | 'task:end', event: TaskEvent): void {
    if (this.#pool.taskEvents) this.#config.gateway.events.emit(name, event as TaskEndEvent);
  }

  #event(entry: Entry): TaskEvent {
    const { task, model } = entry.prepared;
    return {
      runId: entry.config.runId,
      taskId: task.id,
      ...(task.parentTaskId !== undefined ? { parentTaskId: task.parentTaskId } : {}),
      model: model.id,
    };
  }

  #execute(entry: Entry): Promise<WorkerResult> {
    entry.state = 'running';
    this.#counts.queued -= 1;
    this.#counts.running += 1;
    this.#emit('task:start', this.#event(entry));
    const hooks: WorkerHooks = {
      onCall: (ledgerEntry) => {
        this.#cost += ledgerEntry.cost.total;
      },
    };
    const warmer = this.#warmerFor(entry.prepared);
    if (warmer) hooks.gateFirstCall = (signal) => warmer.acquire(signal);
    // The task's cancel controller is the run's own: no second one linked to it.
    return new WorkerRun(entry.config, entry.prepared, { controller: entry.cancel, hooks }).run();
  }

  /** Tasks share a cache entry only with the same model, tools and system (the cached prefix). */
  #warmerFor(prepared: PreparedTask): CacheWarmer | undefined {
    const warmers = this.#pool.warmers;
    if (!warmers) return undefined;
    const key = cacheWarmerKey({
      model: prepared.model.id,
      tools: prepared.apiTools,
      system: prepared.system,
    });
    let warmer = warmers.get(key);
    if (!warmer) {
      warmer = new CacheWarmer({
        ttlMs: this.#config.cacheTtl === '1h' ? ONE_HOUR_CACHE_TTL_MS : DEFAULT_CACHE_WARMER_TTL_MS,
        now: this.#config.now,
      });
      warmers.set(key, warmer);
    }
    return warmer;
  }

  /** Forgets a pending task: it is no longer queued or running. */
  #forget(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#counts[entry.state] -= 1;
  }

  #settle(entry: Entry, result: WorkerResult): WorkerResult {
    this.#forget(entry);
    this.#counts[result.status] += 1;
    if (result.code === 'ABORTED') this.#counts.cancelled += 1;
    this.#emit('task:end', {
      ...this.#event(entry),
      status: result.status,
      cost: result.cost.total,
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(result.reason !== undefined ? { reason: result.reason } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    });
    return result;
  }

  /** A task the queue could not run (a failing `queueClass`): forgotten, with a coded error. */
  #failed(entry: Entry, error: unknown): unknown {
    const queued = entry.state === 'queued';
    if (this.#entries.get(entry.key) === entry) this.#forget(entry);
    // A run never rejects (it ends in a result); failing once started is a bug, passed on as is.
    if (!queued || ArmyError.is(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `The pool could not run task "${entry.prepared.task.id}": its queue failed (${reason}). ` +
        'Check the `queueClass` option: enqueue, dequeue and remove must not throw.',
      { cause: error },
    );
  }
}
