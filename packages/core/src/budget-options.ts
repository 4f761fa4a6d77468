import type { ReservationBreakdown } from './errors.js';
import type { ArmyEvents } from './events.js';
import type { CostLedger } from './ledger/cost-ledger.js';
import type { BudgetedEntry } from './ledger/ledger-entry.js';
import type { NanoUsd } from './money.js';

/** Hard caps in nano-USD. Omit a cap to leave that scope unlimited. */
export interface BudgetLimits {
  /** Per run (keyed by `runId`). */
  run?: NanoUsd;
  /** Per task (keyed by `taskId`), the same cap for every task. */
  task?: NanoUsd;
  /** Per UTC day, across runs: spend already in the ledger counts. */
  day?: NanoUsd;
  /** Per UTC month, across runs: spend already in the ledger counts. */
  month?: NanoUsd;
}

/** Options for {@link Budget}. */
export interface BudgetOptions {
  limits: BudgetLimits;
  /**
   * The ledger whose earlier entries count toward the day and month caps
   * (load it first). Needed only for period caps.
   */
  ledger?: CostLedger;
  /** Where `budget:*` events go. */
  events?: ArmyEvents;
  /** Share of a cap that emits `budget:warning`. @default 0.8 */
  warningAt?: number;
  /** Share of a cap that emits `budget:critical`. @default 0.95 */
  criticalAt?: number;
  /** @default Date.now */
  now?: () => number;
}

/** What a reservation is for. */
export interface ReserveRequest {
  runId: string;
  taskId: string;
  /** Worst-case cost, nano-USD. */
  amount: NanoUsd;
}

/** A reservation that may wait for calls in flight, and may be granted less than asked. */
export interface AcquireRequest extends ReserveRequest {
  /**
   * The smallest amount the caller can work with (the gateway lowers the
   * output allowance to fit). When the full amount can never fit, the
   * budget grants what is left if that is at least this much.
   * @default amount
   */
  minimum?: NanoUsd;
  /** What the amount is made of; carried by the error and `budget:exceeded` when refused. */
  breakdown?: ReservationBreakdown;
}

/** Options for {@link Budget.acquire}. */
export interface AcquireOptions {
  /** Stops waiting: the promise rejects with `AbortError`. */
  signal?: AbortSignal;
}

/** What one scope can still take, nano-USD (the tightest scope that applies). */
export interface BudgetHeadroom {
  /** Free now: limit minus spent minus reserved by calls in flight. */
  available: NanoUsd;
  /** Free once every call in flight has settled at no cost: limit minus spent. */
  ceiling: NanoUsd;
}

/** A held reservation. Settle it to the real cost, or release it when nothing was billed. */
export interface Reservation {
  readonly id: number;
  readonly amount: NanoUsd;
  /** Replaces the reservation with the real cost (which may exceed it; spend is never hidden). */
  settle(actual: NanoUsd): void;
  /** Gives the reservation back: nothing was billed. */
  release(): void;
  readonly settled: boolean;
}

/** A call that was in flight when its run stopped (a crash): the API may have billed it. */
export interface UnsettledCall {
  taskId: string;
  /** The most it could cost (its reservation), nano-USD. */
  amount: NanoUsd;
  /** When it started, ms since the epoch (its day and month). */
  timestamp: number;
}

/** What {@link Budget.restoreRun} counts: an interrupted run's spend, read back from its journal. */
export interface RestoreRunInput {
  runId: string;
  /** Every billed call of the run so far (its journaled ledger entries, or what a budget reads of them). */
  entries: readonly BudgetedEntry[];
  /** Calls in flight when the run stopped, counted at what they could cost. @default [] */
  unsettled?: readonly UnsettledCall[];
  /**
   * Of `entries`, those the budget's ledger did not hold before (what
   * `ledger.restore()` returned): day and month scopes already in use count
   * them; scopes opened later read the ledger.
   * @default entries
   */
  newToLedger?: readonly BudgetedEntry[];
}
