import {
  addCost,
  addTokens,
  costOf,
  defaultCatalog,
  type LedgerEntry,
  type LedgerTotals,
  type ModelCatalog,
  type NanoUsd,
  zeroCost,
  zeroTokens,
} from '@haiku-army/core';
import type { CostTree, RunCost, SubtaskCost } from '../run-result.js';

/** Totals at zero. */
export function emptyTotals(): LedgerTotals {
  return { calls: 0, usage: zeroTokens(), cost: zeroCost(), estimated: 0 };
}

function add(totals: LedgerTotals, entry: LedgerEntry): void {
  // A result reused from the cache is an entry, not a call.
  if (!entry.reused) totals.calls += 1;
  totals.usage = addTokens(totals.usage, entry.usage);
  totals.cost = addCost(totals.cost, entry.cost);
  // Aborted streams are priced from an estimate of the output sent (see core).
  if (entry.estimated) totals.estimated += entry.cost.total;
}

const ROUTER_ROLES = new Set(['router', 'classifier']);

/**
 * What the batch tier saved on one entry: its cost at the standard price
 * (core's `costOf` on the same usage) minus what it was billed at the batch
 * price. 0 for an entry outside a batch or of a model the catalog does not know.
 */
function batchSavingOf(entry: LedgerEntry, catalog: ModelCatalog): NanoUsd {
  if (entry.batchId === undefined) return 0;
  const model = catalog.find(entry.model);
  if (!model) return 0;
  return costOf(model, { ...entry.usage, serviceTier: 'standard' }).total - entry.cost.total;
}

/**
 * The run's cost tree from its ledger entries: planner, router, each
 * subtask (in `order`) with its attempts, synthesis, and anything else.
 * `order: 'unlisted'` (a streamed map, whose items each carry their own
 * cost): worker entries count in the total only, with no node per subtask.
 * `entries` is read once, so a ledger's `each()` can stream them (a large
 * map's entries are then never all objects at once).
 */
export function buildRunCost(
  entries: Iterable<LedgerEntry>,
  order: readonly string[] | 'unlisted',
  catalog: ModelCatalog = defaultCatalog,
): RunCost {
  const unlisted = order === 'unlisted';
  const tree: CostTree = {
    total: emptyTotals(),
    planner: emptyTotals(),
    router: emptyTotals(),
    subtasks: [],
    synthesis: emptyTotals(),
    other: emptyTotals(),
  };
  const subtasks = new Map<string, SubtaskCost>();
  for (const id of unlisted ? [] : order) {
    const node: SubtaskCost = { id, totals: emptyTotals(), attempts: [] };
    subtasks.set(id, node);
    tree.subtasks.push(node);
  }
  let reused = 0;
  let savedByReuse = 0;
  let saving = 0;
  for (const entry of entries) {
    saving += batchSavingOf(entry, catalog);
    if (entry.reused) {
      reused += 1;
      savedByReuse += entry.originalCost?.total ?? 0;
      const node = entry.role === 'worker' ? subtasks.get(entry.taskId) : undefined;
      if (node)
        node.reusedFrom = {
          originalCost: (node.reusedFrom?.originalCost ?? 0) + (entry.originalCost?.total ?? 0),
        };
    }
    add(tree.total, entry);
    if (entry.role === 'planner') add(tree.planner, entry);
    else if (entry.role === 'synthesizer') add(tree.synthesis, entry);
    else if (ROUTER_ROLES.has(entry.role)) add(tree.router, entry);
    else if (unlisted && entry.role === 'worker') continue;
    else if (entry.role === 'worker' && subtasks.has(entry.taskId)) {
      const node = subtasks.get(entry.taskId)!;
      add(node.totals, entry);
      let attempt = node.attempts.find(
        (candidate) => candidate.attempt === entry.attempt && candidate.model === entry.model,
      );
      if (!attempt) {
        attempt = { attempt: entry.attempt, model: entry.model, totals: emptyTotals() };
        node.attempts.push(attempt);
        node.attempts.sort((a, b) => a.attempt - b.attempt);
      }
      add(attempt.totals, entry);
    } else add(tree.other, entry);
  }
  return {
    total: tree.total.cost.total,
    totals: tree.total.cost,
    usage: tree.total.usage,
    calls: tree.total.calls,
    estimated: tree.total.estimated,
    batchSaving: saving,
    reused,
    savedByReuse,
    tree,
  };
}

/** Cache-read input tokens over all input tokens (uncached + cache writes + cache reads); 0 with no input. */
export function cacheHitRate(totals: LedgerTotals): number {
  const { inputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens } = totals.usage;
  const all = inputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens;
  return all === 0 ? 0 : cacheReadTokens / all;
}
