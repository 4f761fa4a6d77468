import type { NanoUsd } from '@haiku-army/core';
import type * as z from 'zod';
import type { Brief } from './brief.js';
import type { Tool } from './tool.js';

/**
 * Caps on one worker run. Set defaults on the worker or pool; a task's own
 * `limits` override them field by field. The per-task cost cap shared by
 * every task lives in core's Budget (`limits.task`); `maxCost` here is an
 * extra cap for one worker.
 */
export interface WorkerLimits {
  /** Model calls. The last one is asked to call `submit_result`. @default 12 */
  maxTurns?: number;
  /** Tokens (prompt + output) over all calls; no call starts once it is reached. @default 400000 */
  maxTokens?: number;
  /**
   * nano-USD this worker may spend: a call whose worst case (as the
   * gateway reserves it) would take it over is not made.
   * @default unlimited (only the gateway's Budget applies)
   */
  maxCost?: NanoUsd;
  /** Wall time, ms (at most 2^31 - 1; `Infinity` for none). Aborts the model call and any running tool. @default 300000 */
  timeoutMs?: number;
  /** `max_tokens` of each call. @default 4096 */
  maxOutputTokens?: number;
}

/** One subtask for a worker. */
export interface WorkerTask<TData = unknown> {
  /** The subtask id: every call is attributed to it. */
  id: string;
  /**
   * The run this task's calls (ledger entries), tool contexts, transcript
   * and `task:*` events are attributed to. A pool submission's `runId`
   * wins over it.
   * @default the worker's or pool's `runId`
   */
  runId?: string;
  /** What to do (a bare string is the objective). */
  brief: Brief | string;
  /**
   * Zod schema of the structured result. When set, `submit_result` must
   * carry `data` matching it (status `done`), and a plain-text answer is
   * not accepted.
   */
  output?: z.ZodType<TData>;
  /** Model for this task. @default the worker's model */
  model?: string;
  /** Tools for this task only, added to the worker's. (They change the cached prefix.) */
  tools?: readonly Tool[];
  /** Overrides of the worker's limits. */
  limits?: WorkerLimits;
  /** The parent task in the cost tree. */
  parentTaskId?: string;
  /** Tags for ledger roll-ups. */
  tags?: readonly string[];
  /** Escalation attempt (1 = first tier). @default 1 */
  attempt?: number;
  /** Pool scheduling priority: higher starts first. @default 0 */
  priority?: number;
  /** Stream this task's calls, with the running-cost stop (see `WorkerOptions.stream`). @default the worker's */
  stream?: boolean;
  /** Cache this task's history (see `WorkerOptions.cacheHistory`). @default the worker's */
  cacheHistory?: boolean;
}
