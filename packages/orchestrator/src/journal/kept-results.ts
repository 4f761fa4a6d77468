import type { SubtaskOutcome } from '../run-result.js';

/** Codes of results that the run's stop imposed (not the subtask's own outcome): a resume runs those again. */
const INTERRUPTED_CODES = new Set([
  'ABORTED',
  'BACKEND_UNAVAILABLE',
  // Its batch create may have reached the API: a resume looks for the batch before sending again.
  'BATCH_MAYBE_SUBMITTED',
  'BUDGET_EXCEEDED',
  'FAIL_FAST',
  'NOT_READY',
]);

const SUCCEEDED = new Set(['done', 'partial']);

/**
 * Whether the run's stop imposed this result (cancelled, or stopped by the
 * budget, fail-fast or a lost backend, or a batch create it could not
 * check) rather than the subtask's own work:
 * a resume runs such a subtask again.
 *
 * @example const runAgain = result.subtasks.filter(stoppedByRun);
 */
export function stoppedByRun(result: Pick<SubtaskOutcome, 'status' | 'code'>): boolean {
  return result.status === 'cancelled' || INTERRUPTED_CODES.has(result.code ?? '');
}

/**
 * The finished subtasks a resume keeps: done and partial ones, and those
 * that failed or were skipped on their own account. Cancelled ones, those
 * stopped by the budget or fail-fast, and dependents skipped only because a
 * dependency that runs again did not finish, run again.
 *
 * @example const kept = resultsKeptOnResume((await loadRun(runId)).subtasks);
 */
export function resultsKeptOnResume<T extends SubtaskOutcome>(results: Iterable<T>): T[] {
  const all = [...results];
  const kept = new Map<string, T>();
  const waiting: T[] = [];
  for (const result of all) {
    if (stoppedByRun(result)) continue;
    if (result.code === 'DEPENDENCY_FAILED') waiting.push(result);
    else kept.set(result.id, result);
  }
  // A skipped dependent stays skipped when a dependency it names is kept and did not succeed.
  for (let changed = true; changed; ) {
    changed = false;
    for (const result of waiting) {
      if (kept.has(result.id)) continue;
      const failed = result.dependsOn.some((id) => {
        const dependency = kept.get(id);
        return dependency !== undefined && !SUCCEEDED.has(dependency.status);
      });
      if (failed) {
        kept.set(result.id, result);
        changed = true;
      }
    }
  }
  return all.filter((result) => kept.get(result.id) === result);
}
