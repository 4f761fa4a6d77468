import type { Attribution, GatewayRequest, LedgerEntry } from '@haiku-army/core';
import type { Plan } from './plan.js';
import type { RunResult, SubtaskResult } from './run-result.js';

/** What a run records when it starts. Never holds credentials. */
export interface RunStartRecord {
  runId: string;
  job: string;
  /** A JSON-safe summary of the army's options (models, limits, policy). */
  options: Record<string, unknown>;
  startedAt: number;
}

/** A plan the run adopted (round 1, or a later round's additions). */
export interface PlanRecord {
  runId: string;
  round: number;
  plan: Plan;
}

/**
 * The one place everything a run decides passes through: the plan, each
 * finished subtask's result and each ledger entry, in order. The default
 * records nothing; the durable-runs journal implements it. A returned
 * promise is awaited before the run goes on (a subtask's dependents start,
 * a call's response is used), so a journal can fsync first.
 */
export interface RunRecorder {
  runStarted?(record: RunStartRecord): void | Promise<void>;
  planAdopted?(record: PlanRecord): void | Promise<void>;
  /** Every billed call of the run (planner, workers, router, synthesizer). */
  ledgerEntry?(entry: LedgerEntry): void | Promise<void>;
  /** A Message Batch was created (batch mode), before it is polled: enough to reattach after a crash. */
  batchSubmitted?(record: BatchSubmittedRecord): void | Promise<void>;
  /** A subtask reached its final result (after every attempt). */
  subtaskFinished?(record: { runId: string; result: SubtaskResult }): void | Promise<void>;
  runEnded?(result: RunResult): void | Promise<void>;
}

/** A Message Batch the run submitted (batch mode). */
export interface BatchSubmittedRecord {
  runId: string;
  batchId: string;
  customIds: string[];
  /** The attribution of each custom id, as core's `BatchSubmission` has it. */
  attributions: Record<string, Attribution>;
  /** The request sent under each custom id (for `resumeBatch`'s reservations). */
  requests: Record<string, GatewayRequest>;
}

/** What a resumed run starts from (set on `RunSpec.resume`). */
export interface ResumeState {
  /** Finished subtasks, kept as is. */
  results: SubtaskResult[];
  /** Submitted batches: reattach with `gateway.resumeBatch`, never resubmit. */
  batches: BatchSubmittedRecord[];
  /** The interrupted runs' ledger entries (already restored into the ledger). */
  entries: LedgerEntry[];
}

/** A recorder that records nothing. */
export const noopRecorder: RunRecorder = Object.freeze({});
