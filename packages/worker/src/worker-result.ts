import { type CostBreakdown, ERROR_CODES, type TokenCounts } from '@haiku-army/core';
import type { SubtaskDependencies } from './dependencies.js';

/** How a worker's subtask ended. */
export type WorkerStatus = 'done' | 'partial' | 'failed';

/**
 * Why a worker stopped without (or despite) a submitted result. Callers
 * switch on `result.code`, never on `reason`.
 *
 * Limits (`MAX_*`, `TIMEOUT`, `BUDGET_EXCEEDED`) end the worker `partial`
 * when it had already done useful work (at least one tool call succeeded),
 * else `failed`. Every other code ends it `failed`.
 *
 * Codes that core also raises are core's `ERROR_CODES` values (the same
 * strings), so a worker's `code` and a gateway error's `code` compare equal.
 */
export const WORKER_STOP_CODES = {
  /** The worker used its last turn without submitting. Limit. */
  MAX_TURNS: 'MAX_TURNS',
  /** The worker's calls used more tokens than `limits.maxTokens`. Limit. */
  MAX_TOKENS: 'MAX_TOKENS',
  /**
   * The next call's worst case would take the worker over `limits.maxCost`;
   * or, when streaming, the running cost of the call in progress would. Limit.
   */
  MAX_COST: 'MAX_COST',
  /** The worker ran longer than `limits.timeoutMs`. Limit. */
  TIMEOUT: 'TIMEOUT',
  /** The budget (run, task, day or month cap) refused the next call. Limit. */
  BUDGET_EXCEEDED: ERROR_CODES.BUDGET_EXCEEDED,
  /** The worker was cancelled (its signal, or the pool's `cancel`). */
  ABORTED: ERROR_CODES.ABORTED,
  /** The API stayed unavailable through every retry. */
  API_UNAVAILABLE: ERROR_CODES.API_UNAVAILABLE,
  /** The API rejected a request. */
  API_REQUEST_REJECTED: ERROR_CODES.API_REQUEST_REJECTED,
  /** A request can never fit under the model's rate limit. */
  RATE_LIMIT_UNSATISFIABLE: ERROR_CODES.RATE_LIMIT_UNSATISFIABLE,
  /**
   * The ledger's store failed to record a billed call. The call's cost is
   * still on the result (read back from the ledger's memory), but its
   * response is lost, so the worker stops.
   */
  LEDGER_STORE_FAILED: ERROR_CODES.LEDGER_STORE_FAILED,
  /** The gateway has no API key and no client: set one, or point it at the fake API. */
  MISSING_API_KEY: ERROR_CODES.MISSING_API_KEY,
  /** A budgeted request whose billed input cannot be bounded (server tools, MCP servers). */
  UNBOUNDED_COST: ERROR_CODES.UNBOUNDED_COST,
  /**
   * Batch mode: the call's batch create may have reached the API (its answer
   * was lost and the API's batches could not be listed to check), so it is
   * not sent again; a resume of the run looks for the batch first.
   */
  BATCH_MAYBE_SUBMITTED: ERROR_CODES.BATCH_MAYBE_SUBMITTED,
  /** The model declined the task (`stop_reason: refusal`). */
  REFUSED: 'REFUSED',
  /** The model never called `submit_result` (a schema was required, or it gave no answer), even after one reminder. */
  NO_RESULT: 'NO_RESULT',
  /**
   * The submitted `data` (or the submission itself) was still invalid after
   * being sent back once, or the model stopped submitting after its data was
   * sent back. `reason` lists the schema's issues (path: message).
   */
  INVALID_RESULT: 'INVALID_RESULT',
  /** An unexpected error inside the worker; see `error`. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

/** One of {@link WORKER_STOP_CODES}. */
export type WorkerStopCode = (typeof WORKER_STOP_CODES)[keyof typeof WORKER_STOP_CODES];

/** Tokens a worker's calls used, summed over its ledger entries. */
export type WorkerUsage = TokenCounts;

/**
 * What travels up from a worker: status, a capped summary, optional
 * validated data, and exactly what it cost. The transcript stays in the
 * transcript store under `transcriptId`.
 */
export interface WorkerResult<TData = unknown> {
  /** The subtask's id. */
  taskId: string;
  /** As submitted by the model, or decided by the framework when `code` is set. */
  status: WorkerStatus;
  /** At most the summary token cap (see `summaryTruncated`). */
  summary: string;
  /** Present when submitted and valid against the task's output schema (if any). */
  data?: TData;
  /** Why the worker stopped when it did not end with an accepted submission, or why it failed. */
  reason?: string;
  /** Set when the framework (not the model) decided the outcome. */
  code?: WorkerStopCode;
  /** True when the summary was still over the cap after one request to shorten it, and was cut. */
  summaryTruncated?: boolean;
  usage: WorkerUsage;
  /** Summed from this run's ledger entries, nano-USD. Spend is kept on every path, failures included. */
  cost: CostBreakdown;
  /** Model calls started (including one refused by the budget or failed by the API). */
  turns: number;
  /** Model calls billed (one ledger entry each). */
  calls: number;
  /** Tool calls run (not counting `submit_result`). */
  toolCalls: number;
  /** Tool calls that came back as errors (`is_error`: unknown tool, invalid input, a thrown error). */
  toolErrors: number;
  /**
   * The first few (at most 3) tool errors, as `tool_name: message`, each cut
   * at 200 characters: tells "no matches" from "that path is outside the root".
   */
  toolErrorMessages: string[];
  /** The canonical model id. */
  model: string;
  /** Where the full message history is, in the transcript store. */
  transcriptId: string;
  /** What the worker's tools read and wrote (for the result cache). */
  dependencies?: SubtaskDependencies;
  /** The underlying error, when one ended the worker. */
  error?: Error;
}
