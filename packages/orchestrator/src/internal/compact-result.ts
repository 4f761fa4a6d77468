import type { SubtaskResult } from '../run-result.js';

/** One shared frozen empty list, for the lists of results and stand-ins held per item. */
export const NONE: never[] = [];
Object.freeze(NONE);

/**
 * A subtask's result as a streamed map keeps it in memory (and returns it):
 * its outcome, summary, data and cost, without its attempts, transcript ids,
 * dependencies and title, which the journal's subtask record keeps whole.
 * The empty lists are one shared frozen array.
 */
export function compactResult(result: SubtaskResult): SubtaskResult {
  return {
    id: result.id,
    title: '',
    round: result.round,
    status: result.status,
    summary: result.summary,
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(result.model !== undefined ? { model: result.model } : {}),
    attempts: NONE,
    calls: result.calls,
    cost: result.cost,
    ...(result.code !== undefined ? { code: result.code } : {}),
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    ...(result.reused !== undefined ? { reused: result.reused } : {}),
    dependsOn: NONE,
    transcriptIds: NONE,
  };
}
