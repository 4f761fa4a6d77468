import type { PlanSubtask } from '../plan.js';
import { NONE } from './compact-result.js';

const FINISHED_BRIEF = Object.freeze({
  objective: 'Finished before this resume (its brief is in the journal).',
  outputFormat: '',
  guidance: '',
  boundaries: '',
});

/** Whether a subtask is a {@link finishedStandIn}: its item finished before the resume. */
export function isFinishedStandIn(subtask: PlanSubtask): boolean {
  return subtask.brief === FINISHED_BRIEF;
}

/** What a resumed map keeps of a subtask it finished before: its id (as its title too) and complexity. */
export function finishedStandIn(subtask: PlanSubtask): PlanSubtask {
  return {
    id: subtask.id,
    title: subtask.id,
    brief: FINISHED_BRIEF,
    dependsOn: NONE,
    complexity: subtask.complexity,
  };
}
