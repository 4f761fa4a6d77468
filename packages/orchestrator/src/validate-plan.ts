import type * as z from 'zod';
import { PLANNER_TASK_ID, SYNTHESIS_TASK_ID } from './constants.js';
import type { PlanIssue } from './errors.js';
import { type Plan, type PlanSubtask, planSchema } from './plan.js';

/** Options for {@link validatePlan}. */
export interface ValidatePlanOptions {
  /** Most subtasks allowed (counting `known` ones). */
  maxSubtasks: number;
  /** Ids of subtasks already in the run (earlier rounds): they may be depended on, not reused. */
  known?: ReadonlySet<string>;
  /** Whether an empty subtask list is acceptable (a follow-up round may add none). @default false */
  allowEmpty?: boolean;
}

/** The outcome of {@link validatePlan}: the plan when it is valid, and every issue found. */
export interface PlanValidation<T> {
  plan?: T;
  issues: PlanIssue[];
}

function zodIssues(error: z.ZodError): PlanIssue[] {
  return error.issues.map((issue) => ({
    code: 'schema' as const,
    message: `${issue.path.length > 0 ? issue.path.join('.') : 'plan'}: ${issue.message}`,
  }));
}

/** Ids the run's own calls are attributed to in the ledger: no subtask may take them. */
const RESERVED_IDS: ReadonlySet<string> = new Set([PLANNER_TASK_ID, SYNTHESIS_TASK_ID]);

/** Finds one dependency cycle among the subtasks, as `[a, b, c, a]`, or undefined. */
export function findCycle(
  subtasks: readonly Pick<PlanSubtask, 'id' | 'dependsOn'>[],
): string[] | undefined {
  const dependencies = new Map(subtasks.map((subtask) => [subtask.id, subtask.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const current = state.get(id);
    if (current === 'done') return undefined;
    if (current === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dependency of dependencies.get(id) ?? []) {
      if (!dependencies.has(dependency)) continue;
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const subtask of subtasks) {
    const cycle = visit(subtask.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Checks ids, dependencies, cycles and size of already-parsed subtasks. */
export function checkSubtasks(
  subtasks: readonly PlanSubtask[],
  options: ValidatePlanOptions,
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const known = options.known ?? new Set<string>();
  if (subtasks.length === 0 && !options.allowEmpty)
    issues.push({ code: 'empty', message: 'the plan has no subtasks; give at least one' });
  const total = known.size + subtasks.length;
  if (total > options.maxSubtasks)
    issues.push({
      code: 'too_many_subtasks',
      message: `the plan has ${total} subtasks, more than maxSubtasks (${options.maxSubtasks}); merge some`,
    });
  const ids = new Set<string>();
  for (const subtask of subtasks) {
    if (RESERVED_IDS.has(subtask.id))
      issues.push({
        code: 'reserved_id',
        subtaskId: subtask.id,
        message: `subtask id "${subtask.id}" is reserved for the run's ${subtask.id === PLANNER_TASK_ID ? 'planner' : 'synthesizer'} calls; rename the subtask`,
      });
    if (ids.has(subtask.id) || known.has(subtask.id))
      issues.push({
        code: 'duplicate_id',
        subtaskId: subtask.id,
        message: `subtask id "${subtask.id}" is used more than once`,
      });
    ids.add(subtask.id);
  }
  for (const subtask of subtasks) {
    for (const dependency of subtask.dependsOn) {
      if (dependency === subtask.id)
        issues.push({
          code: 'self_dependency',
          subtaskId: subtask.id,
          message: `subtask "${subtask.id}" depends on itself`,
        });
      else if (!ids.has(dependency) && !known.has(dependency))
        issues.push({
          code: 'unknown_dependency',
          subtaskId: subtask.id,
          message: `subtask "${subtask.id}" depends on unknown subtask "${dependency}"`,
        });
    }
  }
  const cycle = findCycle(
    subtasks.map((subtask) => ({
      id: subtask.id,
      dependsOn: subtask.dependsOn.filter((dependency) => dependency !== subtask.id),
    })),
  );
  if (cycle)
    issues.push({
      code: 'cycle',
      cycle,
      subtaskId: cycle[0]!,
      message: `dependency cycle ${cycle.join(' -> ')}`,
    });
  return issues;
}

/**
 * Validates a plan: the zod schema, unique ids, known dependencies, no
 * cycle (the issue names it), at most `maxSubtasks`.
 *
 * @example
 * const { plan, issues } = validatePlan(JSON.parse(text), { maxSubtasks: 50 });
 */
export function validatePlan(
  input: unknown,
  options: ValidatePlanOptions,
  schema: z.ZodType<Plan> = planSchema,
): PlanValidation<Plan> {
  return validateWith(input, options, schema);
}

/** {@link validatePlan} with any plan-shaped schema (a follow-up round's, say). */
export function validateWith<T extends { subtasks: PlanSubtask[] }>(
  input: unknown,
  options: ValidatePlanOptions,
  schema: z.ZodType<T>,
): PlanValidation<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { issues: zodIssues(parsed.error) };
  const issues = checkSubtasks(parsed.data.subtasks, options);
  return issues.length > 0 ? { issues } : { plan: parsed.data, issues };
}
