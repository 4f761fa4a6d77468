import type { ModelGateway } from '@haiku-army/core';
import { prepareTask } from './internal/prepare-task.js';
import { resolveRunId } from './internal/run-id.js';
import { resolveWorkerConfig, type WorkerConfig } from './internal/worker-config.js';
import { WorkerRun } from './internal/worker-run.js';
import type { Tool } from './tool.js';
import type { TranscriptStore } from './transcript-store.js';
import type { WorkerResult } from './worker-result.js';
import type { WorkerLimits, WorkerTask } from './worker-task.js';

/** Options for {@link createWorker} (and the worker defaults of a pool). */
export interface WorkerOptions {
  /** The gateway every model call goes through (budget, rate limits, ledger, events). */
  gateway: ModelGateway;
  /** The run every call is attributed to. @default a generated id */
  runId?: string;
  /** The model of tasks that do not name one. @default 'claude-haiku-5-5' */
  model?: string;
  /** The system preamble. @default DEFAULT_WORKER_PREAMBLE */
  preamble?: string;
  /**
   * Context every worker shares (e.g. a repository map), sent after the
   * preamble with a `cache_control` breakpoint so parallel workers read one
   * cache entry. It must be at least the model's minimum cacheable length
   * (512 tokens on claude-haiku-5-5) to be cached.
   * @default none
   */
  sharedPrefix?: string;
  /** Lifetime of the shared prefix's cache entry. @default '5m' */
  cacheTtl?: '5m' | '1h';
  /** Tools every task gets (e.g. `codebaseTools({ root })`). @default [] */
  tools?: readonly Tool[];
  /** Default limits of each run. @default { maxTurns: 12, maxTokens: 400000, timeoutMs: 300000, maxOutputTokens: 4096 } */
  limits?: WorkerLimits;
  /** A summary's cap in tokens (core's `estimateTextTokens`). @default 300 */
  summaryTokenCap?: number;
  /** Tool results longer than this many characters are cut. @default 50000 */
  maxToolResultChars?: number;
  /** Where transcripts are kept. @default a new MemoryTranscriptStore */
  transcripts?: TranscriptStore;
  /**
   * Send each model call through `gateway.stream`. While the output arrives
   * its running cost is counted (core's `estimateTextTokens` on the deltas,
   * at the model's output price); when the call's input plus that running
   * output would pass what is left of `limits.maxCost`, the stream is
   * aborted and the worker ends `MAX_COST`, keeping the partial text as its
   * summary. Without `maxCost` a stream is only a stream. A task's `stream`
   * overrides it.
   * @default false
   */
  stream?: boolean;
  /**
   * A moving cache breakpoint on the newest turn of each worker's history,
   * so call k reads calls 1..k-1 from the prompt cache instead of paying
   * full input price for them again. Used when it pays: the prefix up to it
   * is at least the model's `minCacheableTokens`, the worker has tools of its
   * own (another call can follow) and this is not its last allowed call. At
   * most two history breakpoints, within the API's four per request. A
   * task's `cacheHistory` overrides it.
   * @default true
   */
  cacheHistory?: boolean;
  /** @default crypto.randomUUID */
  generateId?: () => string;
  /** @default Date.now */
  now?: () => number;
}

/** Per-run options. */
export interface WorkerRunOptions {
  /** Cancels the run and any running tool; the result is `failed` with code `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * One worker agent. Each `run` is an isolated context: the preamble, the
 * shared prefix, the task's brief and its own tool turns, nothing else. It
 * loops model call → tools until the model calls `submit_result` (or
 * answers in plain text when the task has no output schema), and always
 * resolves with a {@link WorkerResult}; only caller mistakes (bad task,
 * unknown model) reject.
 *
 * @example
 * const worker = createWorker({ gateway, tools: codebaseTools({ root: '.' }) });
 * const result = await worker.run({ id: 'todo-scan', brief: 'List the TODOs in src/.' });
 */
export class Worker {
  readonly #config: WorkerConfig;

  constructor(options: WorkerOptions) {
    this.#config = resolveWorkerConfig(options);
  }

  /** The run id calls are attributed to. */
  get runId(): string {
    return this.#config.runId;
  }

  /** The transcript store (look results up by `transcriptId`). */
  get transcripts(): TranscriptStore {
    return this.#config.transcripts;
  }

  /** Runs one subtask to a result. */
  run<TData = unknown>(
    task: WorkerTask<TData>,
    options: WorkerRunOptions = {},
  ): Promise<WorkerResult<TData>> {
    try {
      const prepared = prepareTask(this.#config, task as WorkerTask<unknown>);
      const runId = resolveRunId(this.#config.runId, task.runId);
      const config = runId === this.#config.runId ? this.#config : { ...this.#config, runId };
      return new WorkerRun(config, prepared, { signal: options.signal }).run() as Promise<
        WorkerResult<TData>
      >;
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** Creates a {@link Worker}. */
export function createWorker(options: WorkerOptions): Worker {
  return new Worker(options);
}
