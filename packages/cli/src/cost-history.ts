import type { Logger, NanoUsd } from '@haiku-army/core';
import { type Complexity, listRuns, loadRun, type RunResult } from '@haiku-army/orchestrator';
import { ESTIMATE_HISTORY_RUNS } from './constants.js';

/** Recorded costs of one kind of call. */
export interface RecordedCost {
  low: NanoUsd;
  mean: NanoUsd;
  samples: number;
}

function summarise(costs: readonly number[]): RecordedCost | undefined {
  if (costs.length === 0) return undefined;
  const sum = costs.reduce((total, cost) => total + cost, 0);
  return { low: Math.min(...costs), mean: Math.round(sum / costs.length), samples: costs.length };
}

/**
 * What journaled runs recorded: each finished subtask's cost by complexity
 * label and model, and each synthesis by model, for `army estimate`'s
 * expected value.
 */
export class CostHistory {
  readonly #subtasks = new Map<string, number[]>();
  readonly #synthesis = new Map<string, number[]>();
  /** Runs that contributed. */
  readonly runs: number;
  /** Subtasks that contributed. */
  readonly subtaskSamples: number;

  constructor(results: readonly RunResult[]) {
    let runs = 0;
    let samples = 0;
    for (const result of results) {
      let used = false;
      const complexity = new Map(
        result.plan.subtasks.map((subtask) => [subtask.id, subtask.complexity]),
      );
      for (const subtask of result.subtasks) {
        if (subtask.status !== 'done' || subtask.model === undefined) continue;
        const label = complexity.get(subtask.id) ?? 'moderate';
        const key = `${label}\n${subtask.model}`;
        this.#subtasks.set(key, [...(this.#subtasks.get(key) ?? []), subtask.cost.total]);
        samples += 1;
        used = true;
      }
      const synthesis = result.cost.tree.synthesis;
      const model = result.timeline.find((entry) => entry.role === 'synthesizer')?.model;
      if (synthesis.calls > 0 && model !== undefined) {
        this.#synthesis.set(model, [...(this.#synthesis.get(model) ?? []), synthesis.cost.total]);
        used = true;
      }
      if (used) runs += 1;
    }
    this.runs = runs;
    this.subtaskSamples = samples;
  }

  /** Recorded costs of finished subtasks with this label on this model. */
  subtasks(complexity: Complexity, model: string): RecordedCost | undefined {
    return summarise(this.#subtasks.get(`${complexity}\n${model}`) ?? []);
  }

  /** Recorded synthesis costs on this model. */
  synthesis(model: string): RecordedCost | undefined {
    return summarise(this.#synthesis.get(model) ?? []);
  }
}

/**
 * The recorded costs of the newest runs in a journal directory (at most
 * {@link ESTIMATE_HISTORY_RUNS}), or undefined when none finished a subtask.
 * A run whose journal cannot be read is skipped with a warning.
 */
export async function journaledHistory(
  journal: string,
  logger: Logger,
  limit = ESTIMATE_HISTORY_RUNS,
): Promise<CostHistory | undefined> {
  const runs = (await listRuns({ journal, logger })).slice(0, limit);
  const results: RunResult[] = [];
  for (const run of runs) {
    try {
      results.push(await loadRun(run.runId, { journal, logger }));
    } catch (error) {
      logger.warn(`Skipped run ${run.runId} for the estimate: ${(error as Error).message}`);
    }
  }
  const history = new CostHistory(results);
  return history.runs > 0 ? history : undefined;
}
