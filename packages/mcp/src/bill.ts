import { formatUsd, type LedgerEntry, type LedgerTotals } from '@haiku-army/core';
import type { RunResult, SubtaskResult } from '@haiku-army/orchestrator';
import * as z from 'zod';

/** What a run cost, as a tool returns it. Money in integer nano-USD (1 USD = 1e9). */
export const billSchema = z.object({
  totalNanoUsd: z.number().int(),
  total: z.string().describe('The total, formatted in USD'),
  calls: z.number().int(),
  byModel: z.record(z.string(), z.number().int()).describe('nano-USD per model'),
  baseline: z.object({
    model: z.string(),
    baselineNanoUsd: z.number().int(),
    savingNanoUsd: z.number().int(),
    savingRatio: z.number(),
  }),
});
export type Bill = z.infer<typeof billSchema>;

/** One subtask as a tool returns it: the summary, never the transcript. */
export const subtaskSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  summary: z.string(),
  model: z.string().optional(),
  costNanoUsd: z.number().int(),
  code: z.string().optional(),
  data: z.unknown().optional(),
});
export type SubtaskSummary = z.infer<typeof subtaskSummarySchema>;

/** The run's bill from its result and its ledger entries (for the split by model). */
export function billOf(result: RunResult<unknown>, entries: readonly LedgerEntry[]): Bill {
  const byModel: Record<string, number> = {};
  for (const entry of entries)
    byModel[entry.model] = (byModel[entry.model] ?? 0) + entry.cost.total;
  return {
    totalNanoUsd: result.cost.total,
    total: formatUsd(result.cost.total),
    calls: result.cost.calls,
    byModel,
    baseline: {
      model: result.baseline.model,
      baselineNanoUsd: result.baseline.baseline,
      savingNanoUsd: result.baseline.savings,
      savingRatio: result.baseline.savingsRatio,
    },
  };
}

/** The per-subtask summaries, with the data when `withData`. */
export function summariesOf(
  subtasks: readonly SubtaskResult[],
  withData = false,
): SubtaskSummary[] {
  return subtasks.map((subtask) => ({
    id: subtask.id,
    title: subtask.title,
    status: subtask.status,
    summary: subtask.summary,
    ...(subtask.model ? { model: subtask.model } : {}),
    costNanoUsd: subtask.cost.total,
    ...(subtask.code ? { code: subtask.code } : {}),
    ...(withData && subtask.data !== undefined ? { data: subtask.data } : {}),
  }));
}

/** The cost tree flattened to nano-USD per node. */
export const costTreeSchema = z.object({
  totalNanoUsd: z.number().int(),
  plannerNanoUsd: z.number().int(),
  routerNanoUsd: z.number().int(),
  synthesisNanoUsd: z.number().int(),
  otherNanoUsd: z.number().int(),
  subtasks: z.array(
    z.object({
      id: z.string(),
      totalNanoUsd: z.number().int(),
      attempts: z.array(
        z.object({ attempt: z.number().int(), model: z.string(), totalNanoUsd: z.number().int() }),
      ),
    }),
  ),
});

const nano = (totals: LedgerTotals) => totals.cost.total;

/** {@link costTreeSchema} of a run. */
export function costTreeOf(result: RunResult<unknown>): z.infer<typeof costTreeSchema> {
  const tree = result.cost.tree;
  return {
    totalNanoUsd: nano(tree.total),
    plannerNanoUsd: nano(tree.planner),
    routerNanoUsd: nano(tree.router),
    synthesisNanoUsd: nano(tree.synthesis),
    otherNanoUsd: nano(tree.other),
    subtasks: tree.subtasks.map((subtask) => ({
      id: subtask.id,
      totalNanoUsd: nano(subtask.totals),
      attempts: subtask.attempts.map((attempt) => ({
        attempt: attempt.attempt,
        model: attempt.model,
        totalNanoUsd: nano(attempt.totals),
      })),
    })),
  };
}
