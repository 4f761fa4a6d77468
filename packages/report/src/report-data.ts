import type { LedgerTotals, ModelCatalog, NanoUsd } from '@haiku-army/core';
import type { RunResult, TimelineEntry } from '@haiku-army/orchestrator';
import { type CacheSaving, cacheSaving, type ModelSpend } from './cache-saving.js';
import { timelineLanes } from './timeline-lanes.js';

/** One call as the report's timeline draws it. Times in ms since the run started. */
export interface ReportCall {
  lane: number;
  start: number;
  end: number;
  taskId: string;
  role: string;
  model: string;
  attempt: number;
  outcome: TimelineEntry['outcome'];
  retries: number;
  /** nano-USD, when the call was billed. */
  cost?: NanoUsd;
}

/** An amount of money under a label. */
export interface Slice {
  label: string;
  nano: NanoUsd;
}

/** Everything the report shows, computed once; the browser script gets it as JSON. */
export interface ReportData {
  runId: string;
  status: string;
  interrupted: boolean;
  startedAt: number;
  endedAt: number;
  total: NanoUsd;
  calls: ReportCall[];
  lanes: number;
  /** Every model on the timeline, in first-call order, and its colour. */
  models: { model: string; color: string }[];
  costByModel: Slice[];
  costByRole: Slice[];
  /** Each subtask's spend split by model (its attempts'), for a stacked bar chart. */
  subtaskCosts: {
    labels: string[];
    byModel: { model: string; nano: NanoUsd[] }[];
    /** How many subtasks the run has (more than `labels` when the chart shows only the costliest). */
    of: number;
  };
  cache: CacheSaving & { hitRate: number };
  batchSaving?: NanoUsd;
}

/** The most subtasks the cost-by-subtask chart draws (the costliest, past it). */
export const SUBTASK_CHART_LIMIT = 60;

/** Colours for models, in first-call order (distinct, readable on white). */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#edc948',
  '#76b7b2',
  '#e15759',
  '#9c755f',
  '#ff9da7',
  '#bab0ac',
];

type TreeNode = 'planner' | 'router' | 'synthesis' | 'subtask' | 'other';

/** Which cost-tree node a call belongs to (as the orchestrator's cost tree files it). */
function nodeOf(call: ReportCall, subtaskIds: ReadonlySet<string>): TreeNode {
  if (call.role === 'planner') return 'planner';
  if (call.role === 'synthesizer') return 'synthesis';
  if (call.role === 'router' || call.role === 'classifier') return 'router';
  if (call.role === 'worker' && subtaskIds.has(call.taskId)) return 'subtask';
  return 'other';
}

/** `RunCost.batchSaving` (batch mode), when the result has it. */
export function batchSavingOf(result: RunResult<unknown>): NanoUsd | undefined {
  const saving = (result.cost as { batchSaving?: unknown }).batchSaving;
  return typeof saving === 'number' && Number.isFinite(saving) ? saving : undefined;
}

/** Computes what the report shows from a run's result. */
export function reportData(result: RunResult<unknown>, catalog: ModelCatalog): ReportData {
  const { tree } = result.cost;
  const origin = Math.min(result.startedAt, ...result.timeline.map((entry) => entry.start));
  const calls = timelineLanes(result.timeline).map(
    ({ lane, entry }): ReportCall => ({
      lane,
      start: entry.start - origin,
      end: Math.max(entry.start, entry.end) - origin,
      taskId: entry.taskId,
      role: entry.role,
      model: entry.model,
      attempt: entry.attempt,
      outcome: entry.outcome,
      retries: entry.retries ?? 0,
      ...(entry.cost === undefined ? {} : { cost: entry.cost }),
    }),
  );
  const models = [...new Set(calls.map((call) => call.model))].map((model, index) => ({
    model,
    color: PALETTE[index % PALETTE.length]!,
  }));

  const byModel = new Map<string, number>();
  for (const call of calls) {
    if (call.cost !== undefined)
      byModel.set(call.model, (byModel.get(call.model) ?? 0) + call.cost);
  }
  const costByModel = [...byModel].map(([label, nano]) => ({ label, nano }));
  const onTimeline = costByModel.reduce((sum, slice) => sum + slice.nano, 0);
  if (onTimeline !== result.cost.total) {
    // Calls billed outside the timeline (none in a normal run): shown, never dropped.
    costByModel.push({ label: 'not on the timeline', nano: result.cost.total - onTimeline });
  }

  const workers = tree.subtasks.reduce((sum, node) => sum + node.totals.cost.total, 0);
  const costByRole: Slice[] = [
    { label: 'planner', nano: tree.planner.cost.total },
    { label: 'router', nano: tree.router.cost.total },
    { label: 'workers', nano: workers },
    { label: 'synthesis', nano: tree.synthesis.cost.total },
    { label: 'other', nano: tree.other.cost.total },
  ];
  // A chart of thousands of bars is unreadable (and taller than a canvas may
  // be): past SUBTASK_CHART_LIMIT it shows the most expensive ones; the cost
  // tree and the subtask table still list every subtask.
  const charted =
    tree.subtasks.length <= SUBTASK_CHART_LIMIT
      ? tree.subtasks
      : [...tree.subtasks]
          .sort((a, b) => b.totals.cost.total - a.totals.cost.total)
          .slice(0, SUBTASK_CHART_LIMIT);
  const subtaskModels = new Map<string, NanoUsd[]>();
  charted.forEach((node, index) => {
    for (const attempt of node.attempts) {
      let row = subtaskModels.get(attempt.model);
      if (!row) {
        row = charted.map(() => 0);
        subtaskModels.set(attempt.model, row);
      }
      row[index] = (row[index] ?? 0) + attempt.totals.cost.total;
    }
  });
  const subtaskCosts = {
    labels: charted.map((node) => node.id),
    byModel: [...subtaskModels].map(([model, nano]) => ({ model, nano })),
    of: tree.subtasks.length,
  };

  const cache = cacheSaving(spendByModel(result, calls), catalog);
  const batchSaving = batchSavingOf(result);
  return {
    runId: result.runId,
    status: result.status,
    interrupted: (result as { interrupted?: unknown }).interrupted === true,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    total: result.cost.total,
    calls,
    lanes: calls.reduce((most, call) => Math.max(most, call.lane + 1), 0),
    models,
    costByModel,
    costByRole,
    subtaskCosts,
    cache: { ...cache, hitRate: result.cacheHitRate },
    ...(batchSaving === undefined ? {} : { batchSaving }),
  };
}

/**
 * The run's spend in groups of one model each, for the cache saving: each
 * subtask attempt (the cost tree names its model), and the planner, router,
 * synthesis and other nodes under the model their calls on the timeline
 * mostly spent on (a node's calls normally share one model; the built-in
 * models all have the same cache price ratios, so a mixed node's saving is
 * the same either way).
 */
function spendByModel(result: RunResult<unknown>, calls: readonly ReportCall[]): ModelSpend[] {
  const { tree } = result.cost;
  const groups: ModelSpend[] = [];
  for (const node of tree.subtasks) {
    for (const attempt of node.attempts)
      groups.push({ model: attempt.model, totals: attempt.totals });
  }
  const subtaskIds = new Set(tree.subtasks.map((node) => node.id));
  const nodes: [TreeNode, LedgerTotals][] = [
    ['planner', tree.planner],
    ['router', tree.router],
    ['synthesis', tree.synthesis],
    ['other', tree.other],
  ];
  for (const [name, totals] of nodes) {
    if (totals.calls === 0) continue;
    const spent = new Map<string, number>();
    for (const call of calls) {
      if (nodeOf(call, subtaskIds) === name)
        spent.set(call.model, (spent.get(call.model) ?? 0) + (call.cost ?? 0));
    }
    const top = [...spent].sort((a, b) => b[1] - a[1])[0];
    groups.push({ model: top ? top[0] : result.baseline.model, totals });
  }
  return groups;
}
