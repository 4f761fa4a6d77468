import type { Attribution } from '../attribution.js';
import type { Budget } from '../budget.js';
import type { ModelInfo } from '../catalog/model-info.js';
import { LedgerStoreError } from '../errors.js';
import type { CostLedger } from '../ledger/cost-ledger.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import { inputBound } from './input-bound.js';
import { type PriceableRequest, worstCaseCost, worstCaseUsage } from './worst-case.js';

/** What {@link recordMaybeBilled} records. */
export interface MaybeBilledInput {
  ledger: CostLedger;
  budget: Budget | undefined;
  request: PriceableRequest;
  model: ModelInfo;
  attribution: Attribution;
  /** The input tokens the reservation used (its bound or exact count), when there was one. */
  inputTokens: number | undefined;
  retries: number;
  latencyMs: number;
  requestId: string | undefined;
}

/**
 * An attempt the API may have billed (its body was lost after a 2xx): the
 * usage never arrived, so it is recorded at its worst case as its own
 * `maybe_billed` entry, and charged to the budget at the same amount, so
 * ledger and budget agree (and period caps rebuilt from the ledger keep it).
 */
export function recordMaybeBilled(input: MaybeBilledInput): LedgerEntry {
  const { request, model, attribution } = input;
  const tokens = input.inputTokens ?? inputBound(request).tokens;
  const amount = worstCaseCost(model, request, tokens);
  try {
    return input.ledger.record({
      attribution,
      model,
      usage: worstCaseUsage(model, request, tokens),
      latencyMs: input.latencyMs,
      retries: input.retries,
      outcome: 'maybe_billed',
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
    });
  } catch (error) {
    // A store failure keeps the entry in memory; the budget still counts it.
    if (error instanceof LedgerStoreError) return error.entry;
    throw error;
  } finally {
    input.budget?.charge({ runId: attribution.runId, taskId: attribution.taskId, amount });
  }
}
