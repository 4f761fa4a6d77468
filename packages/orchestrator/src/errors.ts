import { ArmyError, ERROR_CODES } from '@haiku-army/core';

/**
 * The codes of core's `ERROR_CODES` that the orchestrator throws (listed in
 * core's map, so `errorKind` knows them).
 */
export const ORCHESTRATOR_ERROR_CODES = {
  /** A plan failed validation (schema, ids, dependencies, cycle, size), after repair. Caller or planner mistake. */
  PLAN_INVALID: ERROR_CODES.PLAN_INVALID,
  /**
   * Batch mode: a worker call's batch create was lost on the wire and the
   * API's batches could not be listed, so it may have been submitted and
   * billed. It is not retried blind (that could pay twice); check
   * `client.messages.batches.list()`.
   */
  BATCH_MAYBE_SUBMITTED: ERROR_CODES.BATCH_MAYBE_SUBMITTED,
  /** `resume` or `loadRun` of a run id the journal directory does not hold; the message lists the known ids. */
  RUN_NOT_FOUND: ERROR_CODES.RUN_NOT_FOUND,
  /** The journal directory cannot be created or written (checked when a run starts). */
  JOURNAL_NOT_WRITABLE: ERROR_CODES.JOURNAL_NOT_WRITABLE,
  /** A journal written in another format version (or not a journal). */
  JOURNAL_INCOMPATIBLE: ERROR_CODES.JOURNAL_INCOMPATIBLE,
} as const;

/** One thing wrong with a plan. */
export interface PlanIssue {
  code:
    | 'schema'
    | 'empty'
    | 'duplicate_id'
    | 'reserved_id'
    | 'unknown_dependency'
    | 'self_dependency'
    | 'cycle'
    | 'too_many_subtasks'
    | 'not_json';
  message: string;
  /** The subtask concerned, when one is. */
  subtaskId?: string;
  /** For `cycle`: the ids around the cycle, the first repeated at the end. */
  cycle?: string[];
}

/** A plan that is still invalid after the repair round (or a hand-written one). */
export class PlanInvalidError extends ArmyError {
  readonly issues: readonly PlanIssue[];

  constructor(issues: readonly PlanIssue[], context = 'The plan') {
    super(
      ORCHESTRATOR_ERROR_CODES.PLAN_INVALID,
      `${context} is invalid: ${issues.map((issue) => issue.message).join('; ')}. ` +
        'Fix the plan (ids unique, dependencies on existing ids, no cycles, within maxSubtasks) or raise `maxSubtasks`.',
    );
    this.issues = issues;
  }
}
