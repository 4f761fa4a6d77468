import type { Attribution } from '../attribution.js';
import type { Budget, Reservation } from '../budget.js';
import type { ModelInfo } from '../catalog/model-info.js';
import { AbortError, ArmyError, ERROR_CODES, type ReservationBreakdown } from '../errors.js';
import { estimateRequestTokens } from '../token-estimate.js';
import { inputBound } from './input-bound.js';
import { inputPrice, type PriceableRequest, pricesForInput, worstCaseCost } from './worst-case.js';

/** What {@link reserveCall} needs from the gateway. */
export interface CallReservationInput<TRequest extends PriceableRequest> {
  budget: Budget;
  model: ModelInfo;
  request: TRequest;
  attribution: Attribution;
  mode: 'upper-bound' | 'estimate';
  /** The smallest `max_tokens` the call may be lowered to. */
  minOutputTokens: number;
  /** The output allowance's name in the caller's terms. */
  outputLabel: string;
  /** Exact input tokens from `count_tokens` (cached by the gateway). */
  count: (request: TRequest) => Promise<number>;
  signal: AbortSignal | undefined;
}

/** A held reservation and the request it covers (with `max_tokens` lowered when it had to be). */
export interface CallReservation<TRequest extends PriceableRequest> {
  reservation: Reservation;
  request: TRequest;
  inputTokens: number;
  inputBound: ReservationBreakdown['inputBound'];
}

/** The error for a budgeted request with no bound on its billed input. */
export function unboundedCost(what: string): ArmyError {
  return new ArmyError(
    ERROR_CODES.UNBOUNDED_COST,
    `This request uses ${what}, which bills input that cannot be bounded before the call is sent, so a hard budget cannot reserve for it. ` +
      'Remove it from budgeted calls, or send it through a gateway without a `budget`.',
  );
}

/**
 * Reserves a call's worst case so a hard cap holds and can still be spent
 * close to the cap: the input is bounded by bytes (images at their
 * allowance), or counted exactly with `count_tokens` when the byte bound
 * does not fit (or does not exist, for documents); the reservation waits for
 * calls in flight rather than being refused; and when even a lone call
 * would not fit, `max_tokens` is lowered to what fits, down to
 * `minOutputTokens`.
 */
export async function reserveCall<TRequest extends PriceableRequest>(
  input: CallReservationInput<TRequest>,
): Promise<CallReservation<TRequest>> {
  const { budget, model, request, attribution } = input;
  let tokens: number;
  let kind: ReservationBreakdown['inputBound'];
  if (input.mode === 'estimate') {
    tokens = estimateRequestTokens(
      request as Parameters<typeof estimateRequestTokens>[0],
      model.tier,
    );
    kind = 'estimate';
  } else {
    const bound = inputBound(request);
    if (bound.unbounded !== undefined) throw unboundedCost(bound.unbounded);
    if (bound.needsCount !== undefined) {
      tokens = await input.count(request);
      kind = 'counted';
    } else {
      tokens = bound.tokens;
      kind = 'bytes';
      const room = budget.headroom(attribution);
      // The byte bound is loose (often 3-4x, and it may cross a long-context
      // threshold the real prompt does not): count exactly before waiting or
      // refusing, unless even the smallest output allowance alone cannot fit.
      const least = Math.min(request.max_tokens, input.minOutputTokens) * model.prices.output;
      if (room && worstCaseCost(model, request, tokens) > room.available && least <= room.ceiling) {
        try {
          tokens = await input.count(request);
          kind = 'counted';
        } catch (error) {
          // Counting only tightens a bound that already holds: keep it if the count fails.
          if (error instanceof AbortError || input.signal?.aborted) throw error;
        }
      }
    }
  }
  const amount = worstCaseCost(model, request, tokens);
  const outputPrice = pricesForInput(model, tokens).output;
  const inputCost = tokens * inputPrice(model, request, tokens);
  const thinking = (request as { thinking?: { type?: string; budget_tokens?: number } }).thinking;
  // Extended thinking needs max_tokens above its budget_tokens.
  const floor =
    thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number'
      ? Math.max(input.minOutputTokens, thinking.budget_tokens + 1)
      : input.minOutputTokens;
  const minOutputTokens = Math.min(request.max_tokens, floor);
  const breakdown: ReservationBreakdown = {
    inputTokens: tokens,
    inputBound: kind,
    outputTokens: request.max_tokens,
    outputLabel: input.outputLabel,
    minOutputTokens,
    inputCost,
    outputPrice,
  };
  const reservation = await budget.acquire(
    {
      runId: attribution.runId,
      taskId: attribution.taskId,
      amount,
      minimum: inputCost + minOutputTokens * outputPrice,
      breakdown,
    },
    input.signal ? { signal: input.signal } : {},
  );
  let sent = request;
  if (reservation.amount < amount) {
    const maxTokens = Math.floor((reservation.amount - inputCost) / Math.max(1, outputPrice));
    sent = {
      ...request,
      max_tokens: Math.max(minOutputTokens, Math.min(request.max_tokens, maxTokens)),
    };
  }
  return { reservation, request: sent, inputTokens: tokens, inputBound: kind };
}
