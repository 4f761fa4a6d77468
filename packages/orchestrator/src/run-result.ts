import type {
  BaselineReport,
  CallRole,
  CostBreakdown,
  LedgerTotals,
  NanoUsd,
  TokenCounts,
} from '@haiku-army/core';
import type { WorkerStatus } from '@haiku-army/worker';
import type { Artifact } from './army-options.js';
import type { Plan } from './plan.js';

/** How a run ended. */
export type RunStatus = 'done' | 'partial' | 'failed' | 'cancelled' | 'budget_exceeded';

/** How a subtask ended. `skipped`: never started (a dependency failed, fail-fast, or the budget ran out). */
export type SubtaskStatus = 'done' | 'partial' | 'failed' | 'skipped' | 'cancelled';

/** Finished subtasks by status. */
export type SubtaskCounts = Record<SubtaskStatus, number>;

/** Counts of no subtasks. */
export function zeroCounts(): SubtaskCounts {
  return { done: 0, partial: 0, failed: 0, skipped: 0, cancelled: 0 };
}

/** One attempt of a subtask (a cascade has several). */
export interface AttemptResult {
  /** 1 = the first model tried. */
  attempt: number;
  model: string;
  status: WorkerStatus;
  code?: string;
  summary: string;
  /** Why the router picked this model. */
  routeReason: string;
  /** Set when the attempt ran on a `rateLimitFallback` sibling: the model it was handed from. */
  fallbackFrom?: string;
  /** Whether this attempt's result was kept (false: rejected, and the router was asked again). */
  accepted: boolean;
  /** Why it was rejected, when it was. */
  rejectedBecause?: string;
  calls: number;
  cost: CostBreakdown;
}

/** What the run kept of one subtask: summary and data, never its transcript. */
export interface SubtaskResult<TData = unknown> {
  id: string;
  title: string;
  /** The planning round that added it (1 for the first plan). */
  round: number;
  status: SubtaskStatus;
  summary: string;
  data?: TData;
  /** The model that finished it (the last attempt's). */
  model?: string;
  attempts: AttemptResult[];
  /** Billed calls, every attempt. */
  calls: number;
  /** Every attempt's spend. */
  cost: CostBreakdown;
  /** Why it stopped early, as a stable code (`BUDGET_EXCEEDED`, `DEPENDENCY_FAILED`, `ABORTED`, ...). */
  code?: string;
  reason?: string;
  dependsOn: string[];
  /**
   * Set when the result was reused from the result cache instead of run:
   * the run that produced it and what it cost then (this run paid 0).
   */
  reused?: { runId: string; originalCost: CostBreakdown };
  /** Where each attempt's transcript is, in the army's transcript store. */
  transcriptIds: string[];
}

/**
 * What a run holds of a finished subtask when it keeps no results (a map
 * with `keepResults: false`): its outcome, for its counts and for what a
 * resume runs again. What `resultsKeptOnResume` reads of a result.
 */
export type SubtaskOutcome = Pick<SubtaskResult, 'id' | 'status' | 'code' | 'dependsOn'>;

/** One attempt's spend in the cost tree. */
export interface AttemptCost {
  attempt: number;
  model: string;
  totals: LedgerTotals;
}

/** One subtask's node of the cost tree. */
export interface SubtaskCost {
  id: string;
  totals: LedgerTotals;
  attempts: AttemptCost[];
  /** Set when the subtask's result was reused from the cache: what it cost when it ran, nano-USD. */
  reusedFrom?: { originalCost: NanoUsd };
}

/**
 * Where the run's money went, nano-USD. `planner + router + every subtask +
 * synthesis + other` equals `total` exactly (`other`: calls with another
 * role, normally empty).
 */
export interface CostTree {
  total: LedgerTotals;
  planner: LedgerTotals;
  router: LedgerTotals;
  subtasks: SubtaskCost[];
  synthesis: LedgerTotals;
  other: LedgerTotals;
}

/** The run's spend. */
export interface RunCost {
  /** What the whole run cost, nano-USD (the same as `totals.total`). */
  total: NanoUsd;
  /** Every billed call of the run, by line item. */
  totals: CostBreakdown;
  usage: TokenCounts;
  calls: number;
  /** The part of `totals.total` priced from estimated usage (client-aborted streams), nano-USD. */
  estimated: NanoUsd;
  /** Standard price minus batch price of the calls that ran in Message Batches (batch mode); 0 when none. */
  batchSaving: NanoUsd;
  /** Results reused from the result cache (subtasks, and the plan and synthesis when they were). Set by every run; absent in results from before the cache. */
  reused?: number;
  /** What the reused results cost when they ran: what this run did not pay, nano-USD. Set by every run. */
  savedByReuse?: NanoUsd;
  tree: CostTree;
}

/** One model call of the run, start to end. */
export interface TimelineEntry {
  /** ms since the epoch (the army's `now`). */
  start: number;
  end: number;
  taskId: string;
  role: CallRole;
  model: string;
  attempt: number;
  outcome: 'success' | 'error' | 'aborted';
  /** The ledger entry, when the call was billed. */
  entryId?: string;
  cost?: NanoUsd;
  /** The billed call's transport retries before the billed attempt (from its ledger entry), when it was billed. */
  retries?: number;
}

/** Everything a run produced. */
export interface RunResult<TAnswer = string> {
  runId: string;
  status: RunStatus;
  /** The synthesizer's answer (or `reduce`'s), when there is one. */
  answer?: TAnswer;
  /** Every subtask the run adopted, all rounds. */
  plan: Plan;
  /** How many planning rounds ran. */
  rounds: number;
  /** Every finished subtask, in plan (or item) order; empty for a streamed map run with `keepResults: false`. */
  subtasks: SubtaskResult[];
  /**
   * Set for a streamed map: how many of its subtasks ended in each status
   * (with `keepResults: false`, the result's only per-status view; the
   * journal, `loadRun` and `onResult` have each result).
   */
  counts?: SubtaskCounts;
  artifacts: Artifact[];
  cost: RunCost;
  /** Cache-read input tokens over all input tokens (input + cache writes + cache reads). */
  cacheHitRate: number;
  /** Results reused from the result cache instead of run (= `cost.reused`). Set by every run; absent in results journaled before the cache. */
  reused?: number;
  /** What the reused results cost when they ran, nano-USD (= `cost.savedByReuse`). Set by every run. */
  savedByReuse?: NanoUsd;
  /** The same token volumes priced at the planner's model with no cache or batch discount, and the saving. */
  baseline: BaselineReport;
  timeline: TimelineEntry[];
  startedAt: number;
  endedAt: number;
  /** What ended the run early, when something did. */
  error?: Error;
  /**
   * Set by `loadRun` for a run that started and never ended (its process was
   * killed): the result holds what finished, with status `cancelled`.
   */
  interrupted?: true;
  /**
   * Set for a map over an iterable (a streamed map): to keep memory bounded
   * by the chunk size, `plan.subtasks` is empty (the briefs are in the
   * journal's chunk records) and each of `subtasks` is compact: its
   * `attempts`, `transcriptIds` and `dependsOn` are empty and its `title`
   * is `''` (the journal's subtask records hold them whole); `cost.tree`
   * has no node per subtask (each result has its own `cost`), and the
   * `timeline` leaves out worker calls (the ledger has each).
   */
  streamed?: true;
}
