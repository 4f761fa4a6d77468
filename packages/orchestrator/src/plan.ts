import * as z from 'zod';

/** Longest subtask id, characters (a repository-relative path fits). */
export const MAX_SUBTASK_ID_LENGTH = 200;

/**
 * A subtask id: stable and safe in ledgers, JSON and logs; path-like ids
 * (`src/a.ts`, `pkg:lib/x.ts`) are accepted so `army.map(files, brief, { id: (f) => f })`
 * works. Batch custom ids are derived from it (hashed when needed).
 */
const SUBTASK_ID = new RegExp(`^[A-Za-z0-9._][A-Za-z0-9._/:-]{0,${MAX_SUBTASK_ID_LENGTH - 1}}$`);

/** A worker brief in four parts, as the planner writes it. */
export const planBriefSchema = z.object({
  objective: z.string().min(1).describe('The task, stated as the result wanted. Self-contained.'),
  outputFormat: z
    .string()
    .describe('What the summary should say and what goes in `data`.')
    .default(''),
  guidance: z.string().describe('Which tools and sources to use, and how.').default(''),
  boundaries: z.string().describe('What not to do: scope limits.').default(''),
});

/** One subtask of a plan. */
export const planSubtaskSchema = z.object({
  id: z
    .string()
    .regex(
      SUBTASK_ID,
      `ids are 1-${MAX_SUBTASK_ID_LENGTH} letters, digits, \`_\`, \`.\`, \`/\`, \`:\` or \`-\`, not starting with \`/\`, \`:\` or \`-\``,
    ),
  title: z.string().min(1),
  brief: planBriefSchema,
  dependsOn: z
    .array(z.string())
    .describe('Ids of subtasks whose results this one needs.')
    .default([]),
  complexity: z.enum(['simple', 'moderate', 'complex']).default('moderate'),
  tags: z.array(z.string()).optional(),
});

/** What the planner returns for a job. */
export const planSchema = z.object({
  reasoning: z.string().describe('A short note on how the job was split.').default(''),
  subtasks: z.array(planSubtaskSchema),
});

/** What the planner returns after a round, when `rounds > 1`. */
export const roundPlanSchema = z.object({
  done: z.boolean().describe('True when the results so far answer the job.'),
  reasoning: z.string().default(''),
  subtasks: z.array(planSubtaskSchema).default([]),
});

/** A validated plan. */
export type Plan = z.output<typeof planSchema>;
/** A plan as written by hand (defaults may be left out). */
export type PlanInput = z.input<typeof planSchema>;
/** One validated subtask. */
export type PlanSubtask = z.output<typeof planSubtaskSchema>;
/** A validated follow-up round. */
export type RoundPlan = z.output<typeof roundPlanSchema>;

/** The JSON Schema sent as `output_config.format.schema` (zod 4's `z.toJSONSchema`). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}
