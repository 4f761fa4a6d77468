import type { Budget, Reservation } from '../budget.js';
import { BudgetExceededError } from '../errors.js';
import { batchWorstCase, type PlannedItem } from './batch-plan.js';
import type { GatewayRequest } from './gateway.js';

/** The whole batch's worst case did not fit the budget; nothing was sent. */
export class BatchBudgetExceededError extends BudgetExceededError {
  /** How many of the batch's items (taken in order) would fit. */
  readonly itemsThatFit: number;
  /** Items in the batch. */
  readonly items: number;

  constructor(
    cause: BudgetExceededError,
    items: number,
    itemsThatFit: number,
    total: number,
    resuming = false,
  ) {
    super(
      {
        scope: cause.scope,
        limit: cause.limit,
        spent: cause.spent,
        requested: cause.requested,
        ...(cause.taskId !== undefined ? { taskId: cause.taskId } : {}),
      },
      { cause },
    );
    this.items = items;
    this.itemsThatFit = itemsThatFit;
    this.message = resuming
      ? `Budget exceeded resuming a batch: the worst case of its ${items} outstanding requests is ${total} nano-USD at batch prices, ` +
        `and only ${itemsThatFit} would fit (${cause.message}) ` +
        `Nothing was collected. Raise the ${cause.scope} limit, or resume without requestsByCustomId to charge results as they arrive.`
      : `Budget exceeded for a batch of ${items} items: their worst case is ${total} nano-USD at batch prices, ` +
        `and only the first ${itemsThatFit} would fit (${cause.message}) ` +
        `Nothing was submitted. Submit at most ${itemsThatFit} items, raise the ${cause.scope} limit, or lower max_tokens.`;
  }
}

/**
 * Reserves every item's worst case at batch prices under its own run and
 * task, or none of them: on the first refusal every reservation made so far
 * is released and a {@link BatchBudgetExceededError} says how many fit.
 */
export function reserveBatch<T extends Pick<PlannedItem, 'request' | 'attribution'>>(
  budget: Budget | undefined,
  planned: readonly T[],
  worstCase: (request: GatewayRequest) => number,
  resuming = false,
): Map<T, Reservation> {
  const reservations = new Map<T, Reservation>();
  if (!budget) return reservations;
  const amounts = planned.map((item) => batchWorstCase(worstCase(item.request)));
  for (const [index, item] of planned.entries()) {
    try {
      reservations.set(
        item,
        budget.reserve({
          runId: item.attribution.runId,
          taskId: item.attribution.taskId,
          amount: amounts[index] as number,
        }),
      );
    } catch (error) {
      for (const reservation of reservations.values()) reservation.release();
      if (!(error instanceof BudgetExceededError)) throw error;
      const total = amounts.reduce((sum, amount) => sum + amount, 0);
      throw new BatchBudgetExceededError(error, planned.length, index, total, resuming);
    }
  }
  return reservations;
}
