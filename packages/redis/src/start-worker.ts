import {
  CostLedger,
  createGateway,
  type GatewayOptions,
  invalidOption,
  type ModelGateway,
} from '@haiku-army/core';
import { MemoryTranscriptStore, type Tool, type TranscriptStore, Worker } from '@haiku-army/worker';
import { type Job, Worker as QueueWorker, UnrecoverableError } from 'bullmq';
import {
  CANCELLED_JOB_REASON,
  DEFAULT_KEY_PREFIX,
  DEFAULT_QUEUE_NAME,
  DEFAULT_WORKER_CONCURRENCY,
} from './constants.js';
import { checkUrl, createConnection, ensureConnected, redisOptionsOf } from './internal/connect.js';
import { cancelChannel, runKeys } from './internal/keys.js';
import type { ScriptedRedis } from './internal/scripts.js';
import { attemptJobSchema, fromJob, toWire } from './internal/wire.js';
import { RedisBudget } from './redis-budget.js';
import { RedisLedgerStore } from './redis-ledger-store.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** The Redis the coordinator enqueues on, e.g. `redis://10.0.0.5:6379`. */
  url: string;
  /** What the workers may use: the same tools the coordinator's army names. @default [] */
  tools?: readonly Tool[];
  /** Subtasks this process runs at once. @default 16 */
  concurrency?: number;
  /** API key of the gateway built here. @default process.env.ANTHROPIC_API_KEY */
  apiKey?: string;
  /** Base URL of the gateway built here (e.g. the fake API's `url`). */
  baseURL?: string;
  /** A `fetch` for the gateway built here. */
  fetch?: typeof fetch;
  /**
   * More options of the gateway built here (retries, timeouts, catalog).
   * Its `ledger`, `budget` and `rateLimiter` are always the shared ones in Redis.
   * @default {}
   */
  gateway?: Omit<
    GatewayOptions,
    'ledger' | 'budget' | 'rateLimiter' | 'apiKey' | 'baseURL' | 'fetch'
  >;
  /** The BullMQ queue. @default 'haiku-army' */
  queueName?: string;
  /** Prefix of every key. @default 'haiku-army' */
  prefix?: string;
  /** Pace to the account's limits with every other process (buckets in Redis). @default true */
  sharedRateLimits?: boolean;
  /**
   * How long a job's lock lasts without renewal, ms: a process that dies
   * (SIGKILL, power loss) loses its jobs to other workers after about this
   * long plus `stalledIntervalMs`. @default BullMQ's 30000
   */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs of dead workers, ms. @default BullMQ's 30000 */
  stalledIntervalMs?: number;
  /** How often a job may stall (its worker died) before it fails. @default 5 */
  maxStalledCount?: number;
  /** Where worker transcripts are kept. @default a MemoryTranscriptStore */
  transcripts?: TranscriptStore;
  /** @default 5000 */
  connectTimeoutMs?: number;
}

/** A running worker process's side: BullMQ's worker over the army's worker package. */
export interface ArmyWorker {
  /** The gateway every call of this process goes through (its ledger appends to Redis). */
  readonly gateway: ModelGateway;
  /** Subtask attempts this process finished. */
  readonly processed: number;
  /** Stops taking jobs, waits for the running ones, and closes the connections. */
  close(): Promise<void>;
}

function integerAtLeast(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum)
    throw invalidOption(name, `an integer >= ${minimum}`, value);
  return value;
}

/**
 * Starts a worker: takes subtask attempts from the run's BullMQ queue and
 * runs each with the worker package, through a gateway whose budget, rate
 * limits and ledger are the shared ones in Redis. A finished attempt's
 * result is written (with its ledger entries already in the run's stream)
 * before the job is acknowledged, and an attempt that already has a result
 * is never run again, even when BullMQ hands it over after a crash.
 *
 * @throws ArmyError `BACKEND_UNAVAILABLE` when Redis cannot be reached.
 * @example const worker = await startWorker({ url: 'redis://127.0.0.1:6379', tools: codebaseTools({ root: '.' }) });
 */
export async function startWorker(options: StartWorkerOptions): Promise<ArmyWorker> {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an options object with `url`', options);
  const url = checkUrl(options.url);
  const concurrency = integerAtLeast(
    'concurrency',
    options.concurrency ?? DEFAULT_WORKER_CONCURRENCY,
    1,
  );
  const maxStalledCount = integerAtLeast('maxStalledCount', options.maxStalledCount ?? 5, 0);
  if (options.tools !== undefined && !Array.isArray(options.tools))
    throw invalidOption('tools', 'an array of tools from defineTool()', options.tools);
  const prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const redis = createConnection({ url, connectTimeoutMs: options.connectTimeoutMs });
  await ensureConnected(redis, url, options.connectTimeoutMs);
  const budget = new RedisBudget({ redis, url, prefix });
  const rateLimiter =
    options.sharedRateLimits === false ? undefined : new RedisRateLimiter({ redis, url, prefix });
  const ledger = new CostLedger({ store: new RedisLedgerStore({ redis, url, prefix }) });
  const gateway = createGateway({
    ...options.gateway,
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ledger,
    budget,
    ...(rateLimiter ? { rateLimiter } : {}),
  });
  const tools = options.tools ?? [];
  const transcripts = options.transcripts ?? new MemoryTranscriptStore();
  let processed = 0;

  // BullMQ passes the signal only to a processor that declares three parameters.
  const processJob = async (job: Job, _token?: string, signal?: AbortSignal): Promise<string> => {
    const data = attemptJobSchema.parse(job.data);
    const keys = runKeys(prefix, data.runId);
    const jobId = job.id!;
    // A finished attempt is never run again (its job may come back after a crash before the ack).
    const [[, kept], [, cancelled]] = (await redis
      .multi()
      .hexists(keys.resultsByJob, jobId)
      .sismember(keys.cancelled, jobId)
      .exec()) as [[unknown, number], [unknown, number]];
    if (kept === 1) return 'kept';
    // Cancelled before a worker took it (or while it waited for a stalled one's lock).
    if (cancelled === 1) throw new UnrecoverableError(CANCELLED_JOB_REASON);
    const { task, limits } = fromJob(data);
    const worker = new Worker({
      gateway,
      runId: data.runId,
      tools,
      transcripts,
      ...(data.sharedPrefix !== undefined ? { sharedPrefix: data.sharedPrefix } : {}),
      ...(limits ? { limits } : {}),
      ...(data.summaryTokenCap !== undefined ? { summaryTokenCap: data.summaryTokenCap } : {}),
    });
    const result = await worker.run(task, signal ? { signal } : {});
    // Nothing is acknowledged before its ledger entries and settlements are in Redis.
    await ledger.flush();
    await budget.flush();
    await rateLimiter?.flush().catch(() => {});
    // Stopped by its coordinator's cancel: what it spent is in the ledger; it
    // leaves no result, so a resume of the run runs it again. (A cancel that
    // came once the attempt had ended does not throw its result away.)
    if (signal?.aborted && result.status === 'failed' && result.code === 'ABORTED')
      throw new UnrecoverableError(CANCELLED_JOB_REASON);
    const json = JSON.stringify(toWire(result));
    await redis
      .multi()
      .hset(keys.resultsByJob, jobId, json)
      .xadd(keys.results, '*', 'job', jobId, 'result', json)
      .exec();
    processed += 1;
    return 'done';
  };

  // A coordinator's cancel reaches the attempt wherever it runs: every
  // worker process listens (from before it takes a job), the one running it
  // aborts it (BullMQ's own job cancellation). A lost message is covered by
  // the cancelled set, checked before each attempt starts.
  let queueWorker: QueueWorker | undefined;
  const subscriber = createConnection({ url, connectTimeoutMs: options.connectTimeoutMs });
  subscriber.on('message', (_channel: string, jobId: string) => {
    queueWorker?.cancelJob(jobId, CANCELLED_JOB_REASON);
  });
  try {
    await ensureConnected(subscriber, url, options.connectTimeoutMs);
    await subscriber.subscribe(cancelChannel(prefix));
  } catch (error) {
    subscriber.disconnect();
    await closeQuietly(redis);
    throw error;
  }
  const bullWorker = new QueueWorker(queueName, processJob, {
    connection: redisOptionsOf(url),
    prefix,
    concurrency,
    maxStalledCount,
    ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs !== undefined
      ? { stalledInterval: options.stalledIntervalMs }
      : {}),
  });
  queueWorker = bullWorker;
  bullWorker.on('error', () => {});
  await bullWorker.waitUntilReady();

  return {
    gateway,
    get processed() {
      return processed;
    },
    async close() {
      // With Redis up, running attempts finish and are acknowledged first.
      // Redis gone (before or during that wait), nothing can be: BullMQ's own
      // connections would wait through reconnects forever, so the wait ends
      // when the bookkeeping connection drops, and the attempts left running
      // go to another process through BullMQ's stalled-job recovery. The
      // close itself is by force (no QUIT to a server that may be gone).
      if (redis.status === 'ready') {
        let onLost = () => {};
        const lost = new Promise<void>((resolve) => {
          onLost = resolve;
          redis.once('close', onLost);
        });
        await Promise.race([bullWorker.pause().catch(() => {}), lost]);
        redis.off('close', onLost);
      }
      try {
        await bullWorker.close(true);
        await ledger.flush().catch(() => {});
      } finally {
        subscriber.disconnect();
        await closeQuietly(redis);
      }
    },
  };
}

/** Closes a connection, or drops it when Redis is gone. */
export async function closeQuietly(redis: ScriptedRedis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
