import * as z from 'zod';
import type { RunStartRecord } from '../run-recorder.js';
import type { ResolvedArmyOptions } from './resolve-army-options.js';
import type { RunSpec } from './run-spec.js';

/** A JSON-safe summary of the army's options for the run's start record (never credentials). */
export function describeOptions(options: ResolvedArmyOptions): Record<string, unknown> {
  const limits = options.gateway.budget?.limits;
  return {
    planner: options.planner,
    synthesizer: options.synthesizer,
    router: options.router.name,
    workerModel: options.workerModel,
    concurrency: options.concurrency,
    maxSubtasks: options.maxSubtasks,
    maxAttempts: options.maxAttempts,
    rounds: options.rounds,
    failurePolicy: options.failurePolicy,
    tools: options.tools.map((tool) => tool.name),
    ...(limits ? { budget: { ...limits } } : {}),
  };
}

/** What the run was asked to do, as its start record keeps it (so a resume goes on the same way). */
export function describeSpec(spec: RunSpec<unknown>): RunStartRecord['spec'] {
  let outputSchema: Record<string, unknown> | undefined;
  if (spec.output) {
    try {
      outputSchema = z.toJSONSchema(spec.output) as Record<string, unknown>;
    } catch {
      // A schema JSON Schema cannot express (a transform): a resume is given `output` again.
    }
  }
  return {
    plan: spec.plan || spec.journaled?.plans.length || spec.stream ? 'given' : 'planner',
    planRounds: spec.planRounds,
    synthesize: spec.synthesize,
    ...(outputSchema ? { outputSchema } : {}),
    ...(spec.stream
      ? {
          streamed: {
            chunkSize: spec.stream.chunkSize,
            ...(spec.stream.keepResults ? {} : { keepResults: false as const }),
          },
        }
      : {}),
  };
}
