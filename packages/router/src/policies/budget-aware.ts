import {
  ArmyError,
  defaultCatalog,
  ERROR_CODES,
  invalidOption,
  type ModelCatalog,
} from '@haiku-army/core';
import { DEFAULT_LADDER } from '../constants.js';
import { resolveModel } from '../internal/models.js';
import type { Router } from '../router.js';

/** One step of {@link budgetAware}. */
export interface BudgetStep {
  /** Applies while the remaining budget is below this, nano-USD. */
  below: number;
  /** Tiers to step down. @default 1 */
  tiers?: number;
}

/** Options for {@link budgetAware}. */
export interface BudgetAwareOptions {
  /** Thresholds; the steps of every one the remaining budget is below add up. */
  steps: readonly BudgetStep[];
  /**
   * Models cheapest first; a pick steps down this ladder.
   * @default ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5']
   */
  ladder?: readonly string[];
  /** Checks every model id and places off-ladder picks by tier. @default core's default catalog */
  catalog?: ModelCatalog;
  /** @default `budget-aware(<policy name>)` */
  name?: string;
}

const TIER_RANK = { haiku: 0, sonnet: 1, opus: 2 } as const;

/**
 * Wraps a policy and steps its pick down a tier as the remaining budget
 * falls below each threshold (no cap: the pick is unchanged). The wrapped
 * policy's `accept` is kept.
 *
 * @example
 * budgetAware(complexityMap(), { steps: [{ below: usd(1) }, { below: usd(0.2) }] });
 */
export function budgetAware(policy: Router, options: BudgetAwareOptions): Router {
  if (!policy || typeof policy.pick !== 'function') {
    throw new ArmyError(ERROR_CODES.INVALID_OPTIONS, 'Expected `policy` to be a Router.');
  }
  if (!options || !Array.isArray(options.steps) || options.steps.length === 0) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      'Expected `steps` to be a non-empty array of { below, tiers? }.',
    );
  }
  options.steps.forEach((step, index) => {
    if (!Number.isInteger(step?.below) || step.below < 0)
      throw invalidOption(
        `steps[${index}].below`,
        'an integer number of nano-USD >= 0',
        step?.below,
      );
    if (step.tiers !== undefined && (!Number.isInteger(step.tiers) || step.tiers < 1))
      throw invalidOption(`steps[${index}].tiers`, 'an integer >= 1', step.tiers);
  });
  const catalog = options.catalog ?? defaultCatalog;
  const ladder = (options.ladder ?? DEFAULT_LADDER).map((model, index) =>
    resolveModel(catalog, model, `ladder[${index}]`),
  );
  if (ladder.length === 0) throw invalidOption('ladder', 'a non-empty list of models', '[]');
  // A pick off the ladder is placed by its tier (haiku, sonnet, opus).
  const rankOf = (model: string): number => {
    const position = ladder.indexOf(model);
    if (position >= 0) return position;
    return Math.min(TIER_RANK[catalog.get(model).tier], ladder.length - 1);
  };
  return {
    name: options.name ?? `budget-aware(${policy.name})`,
    // Keyed on the wrapped policy and the steps, not on the budget left: a
    // stepped-down pick is `transient`, so its result is never cached.
    ...(policy.fingerprint !== undefined
      ? {
          fingerprint: JSON.stringify({
            router: 'budget-aware',
            policy: policy.fingerprint,
            steps: options.steps.map((step) => ({ below: step.below, tiers: step.tiers ?? 1 })),
            ladder,
          }),
        }
      : {}),
    async pick(subtask, context) {
      const pick = await policy.pick(subtask, context);
      if (!pick || context.remainingBudget === undefined) return pick;
      const remaining = context.remainingBudget;
      const down = options.steps
        .filter((step) => remaining < step.below)
        .reduce((sum, step) => sum + (step.tiers ?? 1), 0);
      if (down === 0) return pick;
      const from = rankOf(resolveModel(catalog, pick.model, 'pick.model'));
      const to = Math.max(0, from - down);
      if (ladder[to] === pick.model) return pick;
      const model = ladder[to]!;
      return {
        ...pick,
        model,
        transient: true,
        reason: `${pick.reason}; stepped down ${from - to} tier(s) to ${model}: ${remaining} nano-USD left`,
      };
    },
    ...(policy.accept ? { accept: policy.accept.bind(policy) } : {}),
  };
}
