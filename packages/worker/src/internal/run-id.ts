import { invalidOption } from '@haiku-army/core';

/** Throws INVALID_OPTIONS unless `value` is a non-empty string. */
export function checkRunId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '')
    throw invalidOption(name, 'a non-empty string', value);
}

/**
 * The run a task is attributed to: the submission's `runId` (checked by
 * the caller), else the task's, else the worker's or pool's default.
 * A bad `task.runId` is refused even when the submission's wins.
 */
export function resolveRunId(
  fallback: string,
  taskRunId: unknown,
  submissionRunId?: string,
): string {
  if (taskRunId !== undefined) checkRunId('task.runId', taskRunId);
  return submissionRunId ?? (taskRunId as string | undefined) ?? fallback;
}
