import type {
  ArmyEvents,
  Budget,
  BudgetLimits,
  CostLedger,
  GatewayOptions,
  Logger,
  ModelCatalog,
  ModelGateway,
  RateLimiter,
} from '@haiku-army/core';
import type { Tool, TranscriptStore, WorkerLimits } from '@haiku-army/worker';
import type { ArmyBackend } from './army-backend.js';
import type { ResultCache } from './cache/result-cache.js';
import type { ReadyQueueFactory } from './ready-queue.js';
import type { Router } from './router-types.js';
import type { RunRecorder } from './run-recorder.js';

/** What the run does when a subtask fails. */
export type FailurePolicy = 'continue' | 'fail-fast';

/** One file a write tool produced. */
export interface Artifact {
  /** The subtask that wrote it. */
  taskId: string;
  path: string;
  bytes: number;
}

/** Where the run reads the files its workers wrote (e.g. `writeFiles({ outDir })` of @haiku-army/worker). */
export interface ArtifactSource {
  artifacts(): readonly Artifact[];
}

/** Options for {@link createArmy}. Money in nano-USD. */
export interface ArmyOptions {
  /** The planner's model (an Opus or a Sonnet). @default 'claude-opus-5-5' */
  planner?: string;
  /** The workers' model id, or a Router that picks the model of every attempt. @default 'claude-haiku-5-5' */
  workers?: string | Router;
  /** The synthesizer's model. @default the planner's model */
  synthesizer?: string;
  /** What the workers may use (e.g. `codebaseTools({ root })`); the planner is told their names. @default [] */
  tools?: readonly Tool[];
  /** Workers running at once. @default 16; in batch mode 100,000 (every ready subtask in one batch wave) */
  concurrency?: number;
  /** Hard caps (`{ run: usd(2), task: usd(0.1) }`) or a core Budget. Not with a `gateway` that has its own. @default none */
  budget?: BudgetLimits | Budget;
  /** Most subtasks in a run, every round counted. @default 50 */
  maxSubtasks?: number;
  /** Planning rounds: after each, the planner may add subtasks or declare the job answered. @default 1 */
  rounds?: number;
  /** `continue`: dependents of a failed subtask are skipped, the rest run. `fail-fast`: the first failure stops the run. @default 'continue' */
  failurePolicy?: FailurePolicy;
  /** Context every worker gets, cached once (warming is on when it reaches the worker model's minimum cacheable length). @default none */
  sharedPrefix?: string;
  /** The workers' system preamble. @default the worker package's DEFAULT_WORKER_PREAMBLE */
  preamble?: string;
  /**
   * The result cache: a repeated run reuses every subtask (and the plan and
   * the synthesis) whose inputs did not change, at no cost. `true`: a
   * FileResultCache in `<journal's parent>/cache` (`.army/cache` by default);
   * a string: a FileResultCache in that folder; or any ResultCache. `false`:
   * none. Set HAIKU_ARMY_CACHE to a folder, or to `off`, to change the default.
   * @default true when there is a journal (HAIKU_ARMY_CACHE=off turns it off)
   */
  cache?: boolean | string | ResultCache;
  /** What the planner is told about the workspace besides the job (e.g. `root: src`, a file list). @default none */
  context?: string;
  /** The gateway to use. @default one built from `client` / `apiKey` / `baseURL` */
  gateway?: ModelGateway;
  /** An Anthropic client for the built gateway. */
  client?: GatewayOptions['client'];
  /** API key for the built gateway. @default process.env.ANTHROPIC_API_KEY */
  apiKey?: string;
  /** Base URL for the built gateway (e.g. the fake API's `url`). */
  baseURL?: string;
  /** A `fetch` for the built gateway's client. */
  fetch?: typeof fetch;
  /** The ledger of the built gateway. @default a new CostLedger */
  ledger?: CostLedger;
  /** Per-model rate limits of the built gateway. */
  rateLimiter?: RateLimiter;
  /** The emitter of the built gateway. @default a new one (see `army.events`) */
  events?: ArmyEvents;
  /** Prices and model ids of the built gateway. @default core's default catalog */
  catalog?: ModelCatalog;
  /** Sibling models that take a model's queued subtasks while it stays rate-limited, e.g. `{ 'claude-haiku-5-5': 'claude-haiku-4-5' }`. @default {} */
  rateLimitFallback?: Readonly<Record<string, string>>;
  /** How long a model must stay rate-limited (429s without a success) before `rateLimitFallback` applies, ms. @default 10000 */
  rateLimitFallbackAfterMs?: number;
  /** Attempts per subtask, escalations included. @default 4 */
  maxAttempts?: number;
  /** Limits of every worker run. @default the worker package's */
  limits?: WorkerLimits;
  /** Cap of a worker's summary, tokens. @default 300 */
  summaryTokenCap?: number;
  /** Force cache warming on or off. @default on when `sharedPrefix` reaches the worker model's minimum cacheable length */
  warmCache?: boolean;
  /** `max_tokens` of planner calls. @default 8192 */
  plannerMaxTokens?: number;
  /** `max_tokens` of the synthesizer call. @default 4096 */
  synthesizerMaxTokens?: number;
  /** Where the files the workers write are listed from (e.g. the `writeFiles` writer). @default none */
  artifacts?: ArtifactSource;
  /**
   * Journal root: each run appends its records to `<journal>/<runId>/journal.jsonl`
   * (JSON Lines: options, plans, ledger entries, finished subtasks, artifacts,
   * batches, the end), so `army.resume(runId)` can finish it after a crash.
   * `false`: no journal (and no resume). Checked when a run starts (`JOURNAL_NOT_WRITABLE`).
   * @default process.env.HAIKU_ARMY_JOURNAL ?? '.army/runs' (relative to process.cwd())
   */
  journal?: string | false;
  /** Receives the plan, every finished subtask and every ledger entry, as the journal does (both get every record). @default records nothing */
  recorder?: RunRecorder;
  /** Where warnings go (a torn journal line skipped on resume). @default console */
  logger?: Logger;
  /** Builds each run's ready queue. @default an in-process FIFO */
  readyQueue?: ReadyQueueFactory;
  /** Where worker transcripts are kept. @default a new MemoryTranscriptStore per army */
  transcripts?: TranscriptStore;
  /**
   * `batch`: the workers' calls go as Message Batches at half price (each
   * wave of ready subtasks is one batch; tool turns are further waves);
   * planner and synthesizer calls stay interactive. Needs a gateway with
   * `batch` (core's `Gateway` has it). @default 'interactive'
   */
  mode?: 'interactive' | 'batch';
  /** Ms from the run's start after which unfinished batches are cancelled and the rest go interactive. @default none */
  batchDeadlineMs?: number;
  /** `batch`: each tool turn is another batch wave; `interactive`: only a worker's first turn goes by batch. @default 'batch' */
  batchToolTurns?: 'batch' | 'interactive';
  /** How long the collector gathers worker calls into one batch (it sends sooner once every running subtask waits on it), ms. @default 250 */
  batchWindowMs?: number;
  /** First wait between polls of a batch, ms; grows with backoff. @default core's 5000 */
  batchPollIntervalMs?: number;
  /**
   * Where the workers run: e.g. `redisBackend({ url })` of `@haiku-army/redis`
   * drains the run through worker processes on other machines. Interactive
   * mode only. @default the in-process worker pool
   */
  backend?: ArmyBackend;
  /** Cancels every run of the army. */
  signal?: AbortSignal;
  /** @default crypto.randomUUID */
  generateId?: () => string;
  /** @default Date.now */
  now?: () => number;
}
