import type { CallRole } from '../attribution.js';
import type { CostBreakdown, NormalizedUsage } from '../cost.js';

/**
 * How a billed call ended. Failed attempts the API did not bill are never
 * entries. `aborted`: a stream the caller aborted after its response began
 * (usage estimated, see `estimated`). `maybe_billed`: an attempt whose body
 * was lost after a 2xx, so the API may have billed it; recorded at its worst
 * case (usage and cost are that bound, not a count), and the call's retry is
 * its own entry.
 */
export type LedgerOutcome =
  | 'success'
  | 'max_tokens'
  | 'refusal'
  | 'batch_errored'
  | 'aborted'
  | 'maybe_billed';

/** One billed model call. Money in nano-USD. */
export interface LedgerEntry {
  /** Unique entry id. */
  id: string;
  /** Wall-clock time the call ended, ms since the epoch. */
  timestamp: number;
  runId: string;
  taskId: string;
  parentTaskId?: string;
  role: CallRole;
  /** Canonical model id. */
  model: string;
  /** Escalation attempt from the attribution (1 = first tier). */
  attempt: number;
  /** The attribution's tags, copied; read-only (an entry without tags shares one frozen empty array). */
  tags: readonly string[];
  usage: NormalizedUsage;
  cost: CostBreakdown;
  /** Time from first attempt to the end of the successful one, ms. */
  latencyMs: number;
  /** Transport retries before the billed attempt. */
  retries: number;
  outcome: LedgerOutcome;
  /** The API's request id, when known. Lets a ledger be reconciled with the API's bill. */
  requestId?: string;
  /** The message batch id when the call ran in a batch. */
  batchId?: string;
  /** The request's `custom_id` in its batch; with `batchId`, says a result was already recorded. */
  customId?: string;
  /**
   * True when the usage is an estimate, not the API's report: a stream the
   * caller aborted after it began (input from `message_start`, output counted
   * from the deltas received). Ledger totals report such spend as `estimated`.
   */
  estimated?: boolean;
  /**
   * For an estimated entry: the amount the budget settled it at (nano-USD),
   * a bound the API's bill cannot exceed. `CostLedger.spent` counts
   * max(cost, bound), so a cap rebuilt from the ledger stays hard.
   */
  reservedBound?: number;
  /**
   * True for a result reused from the result cache instead of a model call:
   * the entry costs 0 and was not billed (no `requestId`); `originalCost` is
   * what the call(s) that first produced the result cost. Not counted in `calls`.
   */
  reused?: true;
  /** With `reused`: what producing the result cost when it ran, nano-USD. */
  originalCost?: CostBreakdown;
}

/**
 * What a budget reads of a ledger entry (see {@link budgetedCost}): a
 * resume can restore a long run's spend from these without holding every
 * entry whole.
 */
export type BudgetedEntry = Pick<LedgerEntry, 'runId' | 'taskId' | 'timestamp'> &
  Partial<Pick<LedgerEntry, 'estimated' | 'reservedBound'>> & {
    cost: Pick<CostBreakdown, 'total'>;
  };

/**
 * What a budget counts for one entry, nano-USD: its cost, or for an
 * estimated entry max(cost, reservedBound), the amount its budget was
 * settled at (the API's bill for an aborted stream may exceed the estimate).
 */
export function budgetedCost(entry: BudgetedEntry): number {
  const bound = entry.estimated ? (entry.reservedBound ?? 0) : 0;
  return Math.max(entry.cost.total, bound);
}
