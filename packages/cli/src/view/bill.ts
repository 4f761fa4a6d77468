import type { LedgerTotals } from '@haiku-army/core';
import type { RunResult } from '@haiku-army/orchestrator';
import { columns, countsTotal, money, percent, plural, table } from './format.js';

/** What a bill says besides the result. */
export interface BillOptions {
  /** Print the answer first. @default true */
  answer?: boolean;
}

function modelsOf(result: RunResult, role: string): string {
  const models = new Set(
    result.timeline
      .filter((entry) => entry.role === role && entry.cost !== undefined)
      .map((entry) => entry.model),
  );
  return [...models].join(', ');
}

function totalsRow(label: string, detail: string, totals: LedgerTotals): string[] {
  return [label, detail, plural(totals.calls, 'call'), money(totals.cost.total)];
}

/**
 * The itemised bill of a run: the answer, a per-subtask cost table, the
 * totals (planner + router + subtasks + synthesis = Total, exactly), the
 * cache hit rate and the saving against the planner-alone baseline.
 */
export function renderBill(result: RunResult, options: BillOptions = {}): string {
  const lines: string[] = [];
  if ((options.answer ?? true) && result.answer !== undefined) {
    lines.push('Answer:', String(result.answer).trimEnd(), '');
  }
  const costs = new Map(result.cost.tree.subtasks.map((node) => [node.id, node]));
  const rows = result.subtasks.map((subtask) => {
    const node = costs.get(subtask.id);
    return [
      subtask.id,
      // A reused subtask ran in an earlier run: what it cost then is shown beside its 0.
      subtask.reused ? `${subtask.status} (reused)` : subtask.status,
      subtask.model ?? '-',
      String(subtask.attempts.length),
      String(node?.totals.calls ?? subtask.calls),
      subtask.reused
        ? `${money(node?.totals.cost.total ?? subtask.cost.total)} (was ${money(subtask.reused.originalCost.total)})`
        : money(node?.totals.cost.total ?? subtask.cost.total),
    ];
  });
  if (rows.length > 0) {
    lines.push(
      table(['subtask', 'status', 'model', 'attempts', 'calls', 'cost'], rows, [
        'left',
        'left',
        'left',
        'right',
        'right',
        'right',
      ]),
    );
  } else if (result.counts) {
    // A streamed map keeps counts, not its results (they are in the journal).
    const counts = Object.entries(result.counts).filter(([, count]) => count > 0);
    lines.push(
      counts.length > 0
        ? `Items: ${counts.map(([status, count]) => `${count} ${status}`).join(', ')} (each result is in the journal: army report ${result.runId} --json).`
        : 'No subtask ran.',
    );
  } else lines.push('No subtask ran.');
  lines.push('');
  const tree = result.cost.tree;
  const others = [tree.planner, tree.router, tree.synthesis, tree.other];
  // A streamed map's tree has no node per item: its workers' calls are the rest of the total.
  const subtaskTotals = result.counts
    ? {
        calls: others.reduce((calls, totals) => calls - totals.calls, result.cost.calls),
        total: others.reduce((total, totals) => total - totals.cost.total, result.cost.total),
      }
    : tree.subtasks.reduce(
        (sum, node) => ({
          calls: sum.calls + node.totals.calls,
          total: sum.total + node.totals.cost.total,
        }),
        { calls: 0, total: 0 },
      );
  const subtaskCount = result.counts ? countsTotal(result.counts) : tree.subtasks.length;
  const totals = [
    totalsRow('Planner', modelsOf(result, 'planner'), tree.planner),
    ...(tree.router.calls > 0
      ? [totalsRow('Router', modelsOf(result, 'router'), tree.router)]
      : []),
    [
      'Subtasks',
      plural(subtaskCount, 'subtask'),
      plural(subtaskTotals.calls, 'call'),
      money(subtaskTotals.total),
    ],
    totalsRow('Synthesis', modelsOf(result, 'synthesizer'), tree.synthesis),
    ...(tree.other.calls > 0 ? [totalsRow('Other', '', tree.other)] : []),
    ['Total', '', plural(result.cost.calls, 'call'), money(result.cost.total)],
  ];
  lines.push(...columns(totals, ['left', 'left', 'right', 'right']));
  lines.push('');
  lines.push(
    `Cache hit rate: ${percent(result.cacheHitRate)} of input tokens were read from the cache.`,
  );
  const { baseline } = result;
  lines.push(
    `Saving vs the planner alone: ${money(baseline.savings)} (${percent(baseline.savingsRatio)}); the same tokens on ${baseline.model} without caching would cost ${money(baseline.baseline)}.`,
  );
  if ((result.reused ?? 0) > 0)
    lines.push(
      `Reused: ${plural(result.reused!, 'result')} from the result cache (inputs unchanged), not billed; they cost ${money(result.savedByReuse ?? 0)} when they ran.`,
    );
  const { batchSaving } = result.cost;
  if (batchSaving > 0)
    lines.push(
      `Batch saving: ${money(batchSaving)} against the standard price of the batched calls.`,
    );
  if (result.cost.estimated > 0)
    lines.push(
      `Of the total, ${money(result.cost.estimated)} is priced from estimated usage (aborted streams).`,
    );
  if (result.artifacts.length > 0)
    lines.push(`Files written: ${result.artifacts.map((artifact) => artifact.path).join(', ')}`);
  return lines.join('\n');
}
