import { formatUsd } from '@haiku-army/core';
import { PLANNER_TASK_ID, type RunHandle, SYNTHESIS_TASK_ID } from '@haiku-army/orchestrator';

/** Sends one progress notification; the MCP request's `sendNotification` bound to its token. */
export type ProgressSink = (progress: number, total: number, message: string) => Promise<void>;

/**
 * Follows a run's events and reports subtasks done of total and the cost
 * so far. The total is the plan's subtasks (later rounds add to it).
 */
export async function followProgress(
  handle: RunHandle<unknown>,
  sink: ProgressSink,
  initialTotal = 0,
): Promise<void> {
  let total = initialTotal;
  let cost = 0;
  const planned = new Set<string>();
  const finished = new Set<string>();
  const send = (what: string) => {
    const shownTotal = Math.max(total, finished.size);
    return sink(
      finished.size,
      shownTotal,
      `${finished.size}/${shownTotal} subtasks done, ${formatUsd(cost)} so far (${what})`,
    ).catch(() => {});
  };
  for await (const event of handle) {
    if (event.type === 'plan:ready') {
      const plan = event.plan as { subtasks?: { id: string }[] } | undefined;
      for (const subtask of plan?.subtasks ?? []) planned.add(subtask.id);
      total = Math.max(total, planned.size);
      await send('planned');
    } else if (event.type === 'call:end') {
      cost += event.cost?.total ?? 0;
    } else if (event.type === 'task:end') {
      const id = event.taskId;
      if (id === PLANNER_TASK_ID || id === SYNTHESIS_TASK_ID || finished.has(id)) continue;
      // The pool and the orchestrator both report a subtask's end; count it once.
      if (planned.size > 0 && !planned.has(id)) continue;
      finished.add(id);
      await send(`${id} ${event.status}`);
    }
  }
}
