import type { Budget, BudgetLimits, ModelGateway } from '@haiku-army/core';
import type { WorkerLimits, WorkerResult, WorkerTask } from '@haiku-army/worker';

/** What a backend learns about the run it serves (see {@link ArmyBackend.open}). */
export interface BackendRunContext {
  runId: string;
  /** True when the run is being resumed from its journal (reattach to what was enqueued before). */
  resumed: boolean;
  /** The army's gateway: remote workers' ledger entries are merged into its ledger; its budget is the run's. */
  gateway: ModelGateway;
  /** The workers' default model. */
  workerModel: string;
  /** The army's `sharedPrefix`, for the workers' cached context. */
  sharedPrefix?: string;
  /** Limits of every worker run. */
  limits?: WorkerLimits;
  /** Cap of a worker's summary, tokens. */
  summaryTokenCap?: number;
  /** The run's cancellation. */
  signal: AbortSignal;
}

/** One run's worker attempts on a backend: the in-process pool's `submit`, elsewhere. */
export interface BackendRun {
  /**
   * Runs one worker attempt and resolves with its result (a failed attempt
   * resolves with `status: 'failed'`). Rejects only when the backend itself
   * fails (e.g. `BACKEND_UNAVAILABLE`): then nothing of the attempt is acknowledged.
   */
  submit(task: WorkerTask, options?: { signal?: AbortSignal }): Promise<WorkerResult>;
  /** Merges what the remote workers recorded (ledger entries) and lets go of the run's connections. */
  close(): Promise<void>;
}

/**
 * Where the workers of a run execute. The default (no backend) is the
 * in-process worker pool; `@haiku-army/redis` runs them in worker processes
 * on any machine through BullMQ. The coordinator (the process that called
 * `run`) still plans, routes, journals and synthesises.
 */
export interface ArmyBackend {
  /** For messages and the journal, e.g. `redis`. */
  readonly name: string;
  /** Opens the backend for one run. @throws ArmyError `BACKEND_UNAVAILABLE` when it cannot be reached */
  open(context: BackendRunContext): Promise<BackendRun>;
  /**
   * Builds the army's budget from `budget` limits, so its caps hold across
   * every process the backend runs workers in. @default core's in-process Budget
   */
  createBudget?(limits: BudgetLimits): Budget;
}
