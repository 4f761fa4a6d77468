import { formatUsd, type NanoUsd } from '@haiku-army/core';
import { tool } from 'ai';
import * as z from 'zod';
import type { Army } from '../army.js';

/** Options of {@link armyTool}. */
export interface ArmyToolOptions {
  /** What the host model reads about the tool. @default a sentence on delegating broad jobs */
  description?: string;
}

/** What the tool hands back to the host model: the summary and the bill, never the transcripts. */
export interface ArmyToolResult {
  runId: string;
  status: string;
  /** The synthesizer's answer. */
  summary: string;
  bill: {
    totalNanoUsd: NanoUsd;
    total: string;
    calls: number;
    /** nano-USD per model. */
    byModel: Record<string, NanoUsd>;
    baselineModel: string;
    savingNanoUsd: NanoUsd;
    savingRatio: number;
  };
}

const DESCRIPTION =
  'Delegate a broad job (search a codebase, review many files) to a Haiku army: a planner and many cheap workers. Returns only the summary and the bill.';

/**
 * A Vercel AI SDK tool that runs a fan-out on `army` and returns only the
 * summary and the bill to the host model, so its context stays small.
 * `ai` (5 or 6) is an optional peer dependency: import this from
 * `@haiku-army/orchestrator/ai` only where it is installed.
 *
 * @example
 * const result = await generateText({ model, tools: { fan_out: armyTool(army) }, prompt });
 */
export function armyTool(army: Army, options: ArmyToolOptions = {}) {
  return tool({
    description: options.description ?? DESCRIPTION,
    inputSchema: z.object({
      job: z.string().min(1).describe('What to find or do, in plain words'),
    }),
    execute: async ({ job }, { abortSignal }): Promise<ArmyToolResult> => {
      const result = await army.run(job, abortSignal ? { signal: abortSignal } : {});
      const byModel: Record<string, NanoUsd> = {};
      for (const entry of army.ledger.entries({ runId: result.runId }))
        byModel[entry.model] = (byModel[entry.model] ?? 0) + entry.cost.total;
      return {
        runId: result.runId,
        status: result.status,
        summary: result.answer ?? '',
        bill: {
          totalNanoUsd: result.cost.total,
          total: formatUsd(result.cost.total),
          calls: result.cost.calls,
          byModel,
          baselineModel: result.baseline.model,
          savingNanoUsd: result.baseline.savings,
          savingRatio: result.baseline.savingsRatio,
        },
      };
    },
  });
}
