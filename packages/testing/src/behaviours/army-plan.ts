import type { MessageRequest } from '../wire-types.js';
import type { PlanDraft } from './planner-responder.js';

/**
 * SIMULATION helpers: the simulated planner speaks the orchestrator's plan
 * schema (`@haiku-army/orchestrator`'s `Plan`) when the request's
 * `output_config.format` schema asks for it, i.e. when its subtasks carry a
 * `brief` object (`{ objective, outputFormat, guidance, boundaries }`).
 */

type JsonObject = Record<string, unknown>;

function property(schema: unknown, ...path: string[]): JsonObject | undefined {
  let current = schema as JsonObject | undefined;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = current[key] as JsonObject | undefined;
  }
  return current && typeof current === 'object' ? current : undefined;
}

/** Which plan shape the request's structured-output schema asks for. */
export function requestedPlanShape(request: MessageRequest): 'army' | 'army-round' | 'draft' {
  const schema = request.output_config?.format?.schema;
  if (!schema) return 'draft';
  const brief = property(schema, 'properties', 'subtasks', 'items', 'properties', 'brief');
  if (brief?.type !== 'object') return 'draft';
  return property(schema, 'properties', 'done') ? 'army-round' : 'army';
}

/** The orchestrator's plan for a draft: the convention lines travel in each brief's objective. */
export function toArmyPlan(draft: PlanDraft): JsonObject {
  return {
    reasoning: `Simulated plan: ${draft.subtasks.length} search shard${draft.subtasks.length === 1 ? '' : 's'} for ${draft.terms.join(', ') || 'the job'}.`,
    subtasks: draft.subtasks.map((subtask) => ({
      id: subtask.id,
      title: subtask.title,
      brief: {
        objective: `Search the assigned files for the job's terms and report every match.\n${subtask.brief}`,
        outputFormat:
          'A summary naming every file with matches and how many lines match; data { matches: { path: count }, terms }.',
        guidance: 'Use grep for each term, then read_file around the hits.',
        boundaries: 'Only the files listed; do not change anything.',
      },
      dependsOn: subtask.dependsOn,
      complexity: 'simple',
      tags: ['search'],
    })),
  };
}

/** The simulated planner's answer after a round: the job is answered. */
export function armyRoundDone(): JsonObject {
  return {
    done: true,
    reasoning: 'Simulated: the results so far answer the job.',
    subtasks: [],
  };
}
