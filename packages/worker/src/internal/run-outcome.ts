import {
  AbortError,
  ApiCallError,
  ArmyError,
  BudgetExceededError,
  type ModelTier,
} from '@haiku-army/core';
import {
  WORKER_STOP_CODES,
  type WorkerStatus,
  type WorkerStopCode,
  type WorkerUsage,
} from '../worker-result.js';
import { truncateToTokens } from './summary.js';

/** How a run ended, before usage and cost are attached. */
export interface Outcome {
  status: WorkerStatus;
  summary: string;
  data?: unknown;
  reason?: string;
  code?: WorkerStopCode;
  summaryTruncated?: boolean;
  error?: Error;
}

/** Thrown inside a run to stop it with a code. */
export class Stop {
  constructor(
    readonly code: WorkerStopCode,
    readonly reason: string,
    readonly error?: Error,
    readonly summary?: string,
  ) {}
}

/** Codes that end a run `partial` when it already did useful work. */
const LIMIT_CODES: ReadonlySet<WorkerStopCode> = new Set([
  'MAX_TURNS',
  'MAX_TOKENS',
  'MAX_COST',
  'TIMEOUT',
  'BUDGET_EXCEEDED',
]);

/** Every token a usage counts: prompt (input, cache writes, cache reads) plus output. */
export function tokensOf(usage: WorkerUsage): number {
  return (
    usage.inputTokens +
    usage.outputTokens +
    usage.cacheWrite5mTokens +
    usage.cacheWrite1hTokens +
    usage.cacheReadTokens
  );
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === 'string') return reason;
  return 'cancelled';
}

/** Maps whatever ended a run (a Stop, a core error, an abort, a bug) to a Stop with a code. */
export function toStop(
  error: unknown,
  signal: AbortSignal,
  timedOut: boolean,
  timeoutMs: number,
): Stop {
  if (error instanceof Stop) return error;
  if (error instanceof BudgetExceededError)
    return new Stop('BUDGET_EXCEEDED', error.message, error);
  if (error instanceof AbortError || signal.aborted) {
    return timedOut
      ? new Stop('TIMEOUT', `Ran longer than ${timeoutMs} ms.`, error as Error)
      : new Stop('ABORTED', `Cancelled: ${describe(signal.reason)}.`, error as Error);
  }
  if (error instanceof ApiCallError)
    return new Stop(error.code as WorkerStopCode, error.message, error);
  if (error instanceof ArmyError && error.code in WORKER_STOP_CODES)
    return new Stop(error.code as WorkerStopCode, error.message, error);
  const message = error instanceof Error ? error.message : String(error);
  return new Stop(
    'INTERNAL_ERROR',
    `Unexpected error: ${message}`,
    error instanceof Error ? error : new Error(message),
  );
}

/** What a stopped run knows when its outcome is decided. */
export interface StopContext {
  /** At least one tool call succeeded. */
  usefulWork: boolean;
  /** The model's last non-empty text, if any. */
  lastText: string;
  summaryTokenCap: number;
  tier: ModelTier;
}

/**
 * The outcome of a stopped run: limits after useful work are `partial`,
 * everything else `failed`; the summary is the model's last words (or the
 * reason), within the cap.
 */
export function stopOutcome(stop: Stop, context: StopContext): Outcome {
  const status: WorkerStatus =
    LIMIT_CODES.has(stop.code) && context.usefulWork ? 'partial' : 'failed';
  const text = stop.summary || context.lastText || `No result was submitted: ${stop.reason}`;
  const outcome: Outcome = {
    status,
    summary: truncateToTokens(text, context.summaryTokenCap, context.tier),
    code: stop.code,
    reason: stop.reason,
  };
  if (stop.error) outcome.error = stop.error;
  return outcome;
}
