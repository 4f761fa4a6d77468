import {
  ArmyError,
  type BudgetLimits,
  ERROR_CODES,
  invalidOption,
  type LedgerEntry,
  zeroCost,
  zeroTokens,
} from '@haiku-army/core';
import type { ArmyBackend, BackendRun, BackendRunContext } from '@haiku-army/orchestrator';
import type { WorkerResult, WorkerTask } from '@haiku-army/worker';
import { Queue } from 'bullmq';
import {
  CANCELLED_JOB_REASON,
  DEFAULT_KEY_PREFIX,
  DEFAULT_QUEUE_NAME,
  RUN_KEYS_TTL_S,
} from './constants.js';
import {
  backendUnavailable,
  checkUrl,
  createConnection,
  ensureConnected,
} from './internal/connect.js';
import { cancelChannel, jobIdOf, runKeys } from './internal/keys.js';
import type { ScriptedRedis } from './internal/scripts.js';
import { type AttemptJob, fromWire, toJob, type WireResult } from './internal/wire.js';
import { RedisBudget } from './redis-budget.js';
import { readRunLedger } from './redis-ledger-store.js';
import { closeQuietly } from './start-worker.js';

/** Options of {@link redisBackend}. */
export interface RedisBackendOptions {
  /** The Redis the worker processes take jobs from, e.g. `redis://10.0.0.5:6379`. */
  url: string;
  /** The BullMQ queue (the workers' `queueName` must match). @default 'haiku-army' */
  queueName?: string;
  /** Prefix of every key (the workers' `prefix` must match). @default 'haiku-army' */
  prefix?: string;
  /** How often the coordinator checks its jobs in flight for ones BullMQ failed, ms. @default 1000 */
  failedCheckMs?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** Budget reservations of a process that died count as spent after this long, ms. @default 15 minutes */
  reservationLeaseMs?: number;
  /** How often the coordinator reads a run's shared spend for `budget.status()` (a budgetAware router's input), ms. @default 1000 */
  statusRefreshMs?: number;
  /**
   * When a run is cancelled, how long its end waits for the attempts that
   * were running on worker processes to stop (each is aborted there, and its
   * billed calls reach the run's ledger), ms. One still running after this
   * (its worker unreachable) is left to end on its own. @default 10000
   */
  cancelWaitMs?: number;
}

/** The Redis backend, with its own `close()` (the budget's connection outlives each run). */
export interface RedisBackend extends ArmyBackend {
  /** Closes the connection the army's shared budget uses. Call it when the army is done. */
  close(): Promise<void>;
}

type RunOptions = Required<
  Pick<RedisBackendOptions, 'url' | 'queueName' | 'prefix' | 'failedCheckMs' | 'cancelWaitMs'>
>;

interface Waiter {
  resolve: (result: WorkerResult) => void;
  reject: (error: unknown) => void;
  task: WorkerTask;
  /** The job's payload, to enqueue it again. */
  data: AttemptJob;
}

/** A result for an attempt that never ran to the end on a worker. */
function notRun(
  task: WorkerTask,
  model: string,
  code: 'ABORTED' | 'INTERNAL_ERROR',
  reason: string,
): WorkerResult {
  return {
    taskId: task.id,
    status: 'failed',
    summary: code === 'ABORTED' ? 'Cancelled.' : `Failed: ${reason}`,
    code,
    reason,
    usage: zeroTokens(),
    cost: zeroCost(),
    turns: 0,
    calls: 0,
    toolCalls: 0,
    toolErrors: 0,
    toolErrorMessages: [],
    model: task.model ?? model,
    transcriptId: '',
  };
}

/**
 * The worker checked `data` against the schema rebuilt from JSON Schema;
 * checked again here against the caller's own (refinements and transforms
 * do not travel), a mismatch fails the attempt as the worker would.
 */
function checkOutput(task: WorkerTask, result: WorkerResult): WorkerResult {
  if (!task.output || result.status === 'failed' || result.data === undefined) return result;
  const parsed = task.output.safeParse(result.data);
  if (parsed.success) return { ...result, data: parsed.data };
  const reason = `data does not match the output schema: ${parsed.error.issues
    .map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`)
    .join('; ')}`;
  const { data: _rejected, ...rest } = result;
  return {
    ...rest,
    status: 'failed',
    code: 'INVALID_RESULT',
    reason,
    summary: `Failed: ${reason}`,
  };
}

class RedisBackendRun implements BackendRun {
  readonly #context: BackendRunContext;
  readonly #options: RunOptions;
  readonly #redis: ScriptedRedis;
  readonly #reader: ScriptedRedis;
  readonly #queue: Queue;
  readonly #keys: ReturnType<typeof runKeys>;
  readonly #waiters = new Map<string, Waiter>();
  /** Attempts cancelled while they may be running on a worker process (their end waits for them). */
  readonly #cancelled = new Map<string, Promise<void>>();
  #lastResult: string;
  /** The last ledger stream entry merged into the coordinator's ledger (all of it, a resumed run's earlier calls too). */
  #lastLedger = '0-0';
  #closed = false;
  #readLoop: Promise<void> | undefined;
  #failedCheck: ReturnType<typeof setInterval> | undefined;
  #failure: unknown;

  constructor(
    context: BackendRunContext,
    options: RunOptions,
    redis: ScriptedRedis,
    reader: ScriptedRedis,
    lastResult: string,
  ) {
    this.#context = context;
    this.#options = options;
    this.#redis = redis;
    this.#reader = reader;
    this.#lastResult = lastResult;
    this.#keys = runKeys(options.prefix, context.runId);
    // The queue shares the run's bookkeeping connection, which fails a
    // command after a few reconnect tries: an enqueue with Redis gone fails
    // the run instead of waiting, and closing never waits on a QUIT to a dead
    // server (BullMQ's own connections wait through reconnects forever).
    this.#queue = new Queue(options.queueName, {
      connection: redis,
      prefix: options.prefix,
    });
    this.#queue.on('error', () => {});
    this.#readLoop = this.#read();
    this.#failedCheck = setInterval(() => void this.#checkFailed(), options.failedCheckMs);
  }

  /**
   * Reads finished attempts from the run's results stream and hands them to
   * their waiters, and merges the run's ledger stream into the coordinator's
   * ledger as it grows (so `army.ledger` and the events see every process's spend).
   */
  async #read(): Promise<void> {
    while (!this.#closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.#reader.xread(
          'COUNT',
          500,
          'BLOCK',
          500,
          'STREAMS',
          this.#keys.ledger,
          this.#keys.results,
          this.#lastLedger,
          this.#lastResult,
        )) as typeof reply;
      } catch (error) {
        if (this.#closed) return;
        this.#fail(backendUnavailable(this.#options.url, error));
        return;
      }
      // A worker writes its ledger entries before its result: merge them first.
      const ledger = reply?.find(([key]) => key === this.#keys.ledger)?.[1] ?? [];
      if (ledger.length > 0) {
        this.#lastLedger = ledger.at(-1)![0];
        this.#context.gateway.ledger.restore(
          ledger.map(
            ([, fields]) => JSON.parse(fields[fields.indexOf('entry') + 1]!) as LedgerEntry,
          ),
        );
      }
      for (const [key, entries] of reply ?? [])
        for (const [streamId, fields] of key === this.#keys.results ? entries : []) {
          this.#lastResult = streamId;
          const jobId = fields[fields.indexOf('job') + 1]!;
          const json = fields[fields.indexOf('result') + 1]!;
          this.#settle(jobId, json);
        }
    }
  }

  #settle(jobId: string, json: string): void {
    const waiter = this.#waiters.get(jobId);
    if (!waiter) return;
    this.#waiters.delete(jobId);
    waiter.resolve(checkOutput(waiter.task, fromWire(JSON.parse(json) as WireResult)));
  }

  /** Redis went away: every attempt waiting fails, so the run ends with the error (nothing is acknowledged). */
  #fail(error: unknown): void {
    this.#failure ??= error;
    for (const [jobId, waiter] of this.#waiters) {
      this.#waiters.delete(jobId);
      waiter.reject(error);
    }
  }

  /** An attempt BullMQ gave up on (stalled too often, or its processor threw) fails its subtask. */
  async #checkFailed(): Promise<void> {
    for (const [jobId, waiter] of [...this.#waiters]) {
      try {
        if ((await this.#queue.getJobState(jobId)) !== 'failed') continue;
        const job = await this.#queue.getJob(jobId);
        if (job?.failedReason === CANCELLED_JOB_REASON) {
          // An earlier cancel of this run stopped it after this resume asked for it again: run it anew.
          if ((await this.#queue.remove(jobId)) === 1) await this.#enqueue(jobId, waiter.data);
          continue;
        }
        this.#waiters.delete(jobId);
        waiter.resolve(
          notRun(
            waiter.task,
            this.#context.workerModel,
            'INTERNAL_ERROR',
            `the worker's job failed: ${job?.failedReason ?? 'unknown reason'}`,
          ),
        );
      } catch {
        // Redis trouble surfaces through the results reader.
      }
    }
  }

  submit(task: WorkerTask, options: { signal?: AbortSignal } = {}): Promise<WorkerResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    const context = this.#context;
    const jobId = jobIdOf(context.runId, task.id, task.attempt ?? 1);
    let data: AttemptJob;
    try {
      data = toJob(context.runId, task, context.workerModel, {
        ...(context.sharedPrefix !== undefined ? { sharedPrefix: context.sharedPrefix } : {}),
        ...(context.limits !== undefined ? { limits: context.limits as AttemptJob['limits'] } : {}),
        ...(context.summaryTokenCap !== undefined
          ? { summaryTokenCap: context.summaryTokenCap }
          : {}),
      });
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal } = options;
    return new Promise<WorkerResult>((resolve, reject) => {
      let enqueued: Promise<void> = Promise.resolve();
      const onAbort = () => {
        if (!this.#waiters.delete(jobId)) return;
        // A job no worker took yet is removed; one running is aborted on its worker (see #cancel).
        this.#cancelled.set(
          jobId,
          enqueued.then(() => this.#cancel(jobId)),
        );
        resolve(notRun(task, context.workerModel, 'ABORTED', 'The run was cancelled.'));
      };
      this.#waiters.set(jobId, {
        task,
        data,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject,
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      enqueued = (async () => {
        try {
          // Resumed, or handed back: an attempt that already has a result is not enqueued again.
          // One a cancelled run stopped is wanted again: its failed job goes, so it can be added anew.
          const [[, kept], [, wasCancelled]] = (await this.#redis
            .multi()
            .hget(this.#keys.resultsByJob, jobId)
            .srem(this.#keys.cancelled, jobId)
            .exec()) as [[unknown, string | null], [unknown, number]];
          if (kept !== null) return this.#settle(jobId, kept);
          // (Still running there, it is removed once it fails: see #checkFailed.)
          if (wasCancelled === 1) await this.#queue.remove(jobId).catch(() => 0);
          await this.#enqueue(jobId, data);
        } catch (error) {
          this.#fail(backendUnavailable(this.#options.url, error));
        }
      })();
    });
  }

  /** The job id is the attempt's: adding it again (a resumed coordinator) reattaches to it. */
  async #enqueue(jobId: string, data: AttemptJob): Promise<void> {
    await this.#queue.add('attempt', data, {
      jobId,
      attempts: 1,
      removeOnComplete: { age: RUN_KEYS_TTL_S },
      removeOnFail: { age: RUN_KEYS_TTL_S },
    });
  }

  /**
   * Stops a cancelled attempt wherever it is: marked cancelled in Redis (a
   * worker that takes it later does not run it), announced to every worker
   * process (the one running it aborts it; its billed calls stay in the
   * ledger and it leaves no result, so a resume runs it again), and removed
   * from the queue if no worker holds it.
   */
  async #cancel(jobId: string): Promise<void> {
    try {
      await this.#redis
        .multi()
        .sadd(this.#keys.cancelled, jobId)
        .expire(this.#keys.cancelled, RUN_KEYS_TTL_S)
        .publish(cancelChannel(this.#options.prefix), jobId)
        .exec();
      await this.#queue.remove(jobId).catch(() => 0);
    } catch {
      // Redis trouble surfaces through the results reader.
    }
  }

  /**
   * Waits (up to `cancelWaitMs`) for the cancelled attempts that were
   * running on worker processes to stop, so their billed calls are in the
   * ledger stream before the run's ledger is read for the last time; then
   * removes their failed jobs, so a resume can enqueue them again.
   */
  async #settleCancelled(): Promise<void> {
    if (this.#cancelled.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, this.#options.cancelWaitMs);
    });
    const settle = async () => {
      await Promise.all(this.#cancelled.values());
      let left = [...this.#cancelled.keys()];
      // With Redis gone (the run failed on it) there is nothing to wait for or remove.
      while (left.length > 0 && !timedOut && !this.#failure && this.#redis.status === 'ready') {
        const states = await Promise.all(
          left.map((jobId) => this.#queue.getJobState(jobId).catch(() => 'unknown')),
        );
        // Stopped (failed), or queued after all (an add that raced the cancel): removed.
        const ended = left.filter((_, index) => !['active', 'unknown'].includes(states[index]!));
        await Promise.all(ended.map((jobId) => this.#queue.remove(jobId).catch(() => 0)));
        left = left.filter((_, index) => states[index] === 'active');
        if (left.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await Promise.race([settle(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#failedCheck);
    try {
      await this.#settleCancelled();
    } catch {}
    try {
      await this.#readLoop;
    } catch {}
    try {
      // Every process's billed calls of the run, once each, into the coordinator's ledger.
      const { entries } = await readRunLedger(this.#redis, {
        prefix: this.#options.prefix,
        runId: this.#context.runId,
        after: this.#lastLedger,
        url: this.#options.url,
      });
      this.#context.gateway.ledger.restore(entries);
      // A run's keys outlive it long enough to resume or audit it, then Redis drops them.
      const keys = this.#keys;
      await this.#redis
        .multi()
        .expire(keys.budget, RUN_KEYS_TTL_S)
        .expire(keys.leases, RUN_KEYS_TTL_S)
        .expire(keys.lease, RUN_KEYS_TTL_S)
        .expire(keys.ledger, RUN_KEYS_TTL_S)
        .expire(keys.results, RUN_KEYS_TTL_S)
        .expire(keys.resultsByJob, RUN_KEYS_TTL_S)
        .exec()
        .catch(() => {});
    } finally {
      // Also when the run ended by a throw the orchestrator's endRun did not follow.
      this.#context.gateway.budget?.endRun(this.#context.runId);
      await this.#queue.close().catch(() => {});
      await closeQuietly(this.#reader);
    }
  }
}

/**
 * The Redis backend: `createArmy({ backend: redisBackend({ url }), ... })`
 * keeps the army's API while its workers run in worker processes
 * (`army-worker --redis URL`, or `startWorker`) on any machine. The
 * coordinator plans, enqueues each ready subtask's attempt as a BullMQ job,
 * collects the results and synthesises; the run's `budget` caps are shared
 * in Redis, and every process's ledger entries are merged into the run's.
 *
 * @example
 * const backend = redisBackend({ url: 'redis://127.0.0.1:6379' });
 * const army = createArmy({ backend, budget: { run: usd(5) }, concurrency: 64 });
 * const result = await army.map(files, (file) => `Summarise ${file}.`);
 * await backend.close();
 */
export function redisBackend(options: RedisBackendOptions): RedisBackend {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an options object with `url`', options);
  const url = checkUrl(options.url);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  if (typeof queueName !== 'string' || queueName.length === 0 || queueName.includes(':'))
    throw invalidOption('queueName', 'a non-empty name without ":"', queueName);
  const prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  const failedCheckMs = options.failedCheckMs ?? 1000;
  const cancelWaitMs = options.cancelWaitMs ?? 10_000;
  if (!Number.isFinite(cancelWaitMs) || cancelWaitMs < 0)
    throw invalidOption('cancelWaitMs', 'a number of ms >= 0', cancelWaitMs);
  // One connection for the budget and the run's bookkeeping, made lazily (createArmy is synchronous).
  const redis = createConnection({ url, connectTimeoutMs: options.connectTimeoutMs });
  let budget: RedisBudget | undefined;
  return {
    name: 'redis',
    createBudget(limits: BudgetLimits) {
      budget = new RedisBudget({
        redis,
        url,
        prefix,
        limits,
        ...(options.reservationLeaseMs !== undefined
          ? { leaseMs: options.reservationLeaseMs }
          : {}),
        ...(options.statusRefreshMs !== undefined
          ? { statusRefreshMs: options.statusRefreshMs }
          : {}),
      });
      return budget;
    },
    async open(context: BackendRunContext): Promise<BackendRun> {
      await ensureConnected(redis, url, options.connectTimeoutMs);
      if (context.gateway.budget && context.gateway.budget !== budget)
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          'With the Redis backend, pass `budget` as caps ({ run, task }) to createArmy so they are shared in Redis, not a Budget instance or a gateway with its own.',
        );
      await budget?.registerRun(context.runId);
      const reader = createConnection({ url, connectTimeoutMs: options.connectTimeoutMs });
      const keys = runKeys(prefix, context.runId);
      let last = '0-0';
      try {
        await ensureConnected(reader, url, options.connectTimeoutMs);
        const newest = (await redis.xrevrange(keys.results, '+', '-', 'COUNT', 1)) as [
          string,
          string[],
        ][];
        if (newest[0]) last = newest[0][0];
      } catch (error) {
        // The run never opened: its budget view stops, its reader closes.
        budget?.endRun(context.runId);
        await closeQuietly(reader);
        throw ArmyError.is(error) ? error : backendUnavailable(url, error);
      }
      return new RedisBackendRun(
        context,
        { url, queueName, prefix, failedCheckMs, cancelWaitMs },
        redis,
        reader,
        last,
      );
    },
    async close() {
      budget?.endAllRuns();
      await closeQuietly(redis);
    },
  };
}
