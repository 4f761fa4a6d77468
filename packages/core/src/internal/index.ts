/**
 * `@haiku-army/core/internal`: helpers the haiku-army packages share that
 * are not public API. They may change in any release; applications should
 * not import them.
 */
export * as constants from '../constants.js';
export { sleep } from '../gateway/batch-api.js';
export { type CallReservation, reserveCall, unboundedCost } from '../gateway/call-reservation.js';
export { CountCache, countParamsOf } from '../gateway/count-cache.js';
export { type BoundableRequest, type InputBound, inputBound } from '../gateway/input-bound.js';
export {
  type BackoffOptions,
  backoffDelay,
  classifyFailure,
  type FailureInfo,
  ResponseLostError,
  retryAfterMs,
} from '../gateway/retry-policy.js';
export {
  inputPrice,
  inputTokensUpperBound,
  type PriceableRequest,
  pricesForInput,
  worstCaseCost,
  worstCaseUsage,
} from '../gateway/worst-case.js';
export { deepFreeze, isDeepFrozen } from './frozen-memo.js';
