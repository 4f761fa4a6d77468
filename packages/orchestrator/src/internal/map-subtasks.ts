import { type Brief, normalizeBrief } from '@haiku-army/worker';
import { PlanInvalidError, type PlanIssue } from '../errors.js';
import { type PlanSubtask, planSubtaskSchema } from '../plan.js';
import { checkSubtasks } from '../validate-plan.js';

/** Most invalid map items named in one error. */
const MAX_NAMED_ITEMS = 10;

/** How `map` turns an item into its subtask. */
export interface MapItemRule<TItem> {
  brief: (item: TItem, index: number) => Brief | string;
  id: ((item: TItem, index: number) => string) | undefined;
}

/**
 * The subtasks of `items` (the first at `offset`), one per item, checked as
 * `map` checks them: each against the plan schema (up to ten invalid items
 * named in one PlanInvalidError); with `known` (a streamed map's chunk: the
 * ids of the items read before), also that every id is unique.
 * @throws PlanInvalidError
 */
export function mapSubtasks<TItem>(
  items: readonly TItem[],
  offset: number,
  rule: MapItemRule<TItem>,
  known?: ReadonlySet<string>,
): PlanSubtask[] {
  const subtasks: PlanSubtask[] = [];
  const invalid: PlanIssue[] = [];
  let invalidItems = 0;
  items.forEach((item, position) => {
    const index = offset + position;
    const written = normalizeBrief(rule.brief(item, index), `brief(items[${index}])`);
    const id: unknown = rule.id ? rule.id(item, index) : `item-${index + 1}`;
    const parsed = planSubtaskSchema.safeParse({
      id,
      title: written.objective.split('\n')[0]!.slice(0, 80),
      brief: written,
      dependsOn: [],
      complexity: 'simple',
    });
    if (parsed.success) {
      subtasks.push(parsed.data);
      return;
    }
    invalidItems += 1;
    if (invalidItems > MAX_NAMED_ITEMS) return;
    for (const issue of parsed.error.issues)
      invalid.push({
        code: 'schema',
        ...(typeof id === 'string' ? { subtaskId: id } : {}),
        message: `items[${index}] (id ${JSON.stringify(id) ?? String(id)}): ${issue.path.join('.') || 'subtask'}: ${issue.message}`,
      });
  });
  if (invalidItems > MAX_NAMED_ITEMS)
    invalid.push({
      code: 'schema',
      message: `and ${invalidItems - MAX_NAMED_ITEMS} more items with an invalid subtask`,
    });
  if (invalid.length > 0) throw new PlanInvalidError(invalid, 'The mapped plan');
  // An array's plan is checked whole by validatePlan; a streamed chunk here, against the ids before it.
  if (!known) return subtasks;
  const issues = checkSubtasks(subtasks, {
    maxSubtasks: Number.MAX_SAFE_INTEGER,
    allowEmpty: true,
    known,
  });
  if (issues.length > 0) throw new PlanInvalidError(issues, 'The mapped plan');
  return subtasks;
}
