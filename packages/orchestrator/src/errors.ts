import { ArmyError, type ArmyErrorCode } from '@haiku-army/core';

/**
 * Error codes the orchestrator adds to core's `ERROR_CODES`. (They belong in
 * core's map; until it lists them they are declared here.)
 */
export const ORCHESTRATOR_ERROR_CODES = {
  /** A plan failed validation (schema, ids, dependencies, cycle, size), after repair. Caller or planner mistake. */
  PLAN_INVALID: 'PLAN_INVALID',
  /**
   * Batch mode: a worker call's batch create was lost on the wire and the
   * API's batches could not be listed, so it may have been submitted and
   * billed. It is not retried blind (that could pay twice); check
   * `client.messages.batches.list()`.
   */
  BATCH_MAYBE_SUBMITTED: 'BATCH_MAYBE_SUBMITTED',
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
      ORCHESTRATOR_ERROR_CODES.PLAN_INVALID as unknown as ArmyErrorCode,
      `${context} is invalid: ${issues.map((issue) => issue.message).join('; ')}. ` +
        'Fix the plan (ids unique, dependencies on existing ids, no cycles, within maxSubtasks) or raise `maxSubtasks`.',
    );
    this.issues = issues;
  }
}
