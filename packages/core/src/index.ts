// The public surface of @haiku-army/core, named on purpose (no `export *`).
// test/public-surface.test.ts pins the list: a change must update it.
// Helpers the packages share but users should not rely on are in `./internal`.
export type { Attribution, CallRole } from './attribution.js';
export {
  type AcquireOptions,
  type AcquireRequest,
  Budget,
  type BudgetHeadroom,
  type BudgetLimits,
  type BudgetOptions,
  type Reservation,
  type ReserveRequest,
  type RestoreRunInput,
  type UnsettledCall,
} from './budget.js';
export {
  defaultCatalog,
  getModel,
  listModels,
  ModelCatalog,
  type ModelCatalogOptions,
  type RegisterModelInput,
  registerModel,
} from './catalog/model-catalog.js';
export type {
  LongContextPricing,
  ModelInfo,
  ModelPrices,
  ModelTier,
  PricesPerMillion,
} from './catalog/model-info.js';
export { BUILT_IN_MODELS, CATALOG_AS_OF, type ModelSpec } from './catalog/models.js';
export {
  addCost,
  addTokens,
  type CostBreakdown,
  type CostOfOptions,
  costOf,
  type NormalizedUsage,
  normalizeUsage,
  pricesFor,
  promptTokens,
  type TokenCounts,
  type UsageLike,
  zeroCost,
  zeroTokens,
} from './cost.js';
export {
  AbortError,
  type AbortErrorOptions,
  ApiCallError,
  type ApiErrorDetails,
  ArmyError,
  type ArmyErrorCode,
  type ArmyErrorKind,
  type ArmyErrorOptions,
  type BudgetExceededDetails,
  BudgetExceededError,
  type BudgetScope,
  ERROR_CODES,
  ERROR_KINDS,
  errorKind,
  invalidOption,
  LedgerStoreError,
  MissingApiKeyError,
  type ReservationBreakdown,
} from './errors.js';
export {
  type ArmyEventMap,
  type ArmyEventName,
  ArmyEvents,
  type ArmyEventsOptions,
  type ArmyEventTypes,
  type BatchEndedEvent,
  type BatchProgressEvent,
  type BatchRequestCounts,
  type BatchSubmittedEvent,
  type BudgetEvent,
  type CallEndEvent,
  type CallRetryEvent,
  createEvents,
  type DeclaredEventType,
  type PlanReadyEvent,
  type RunEndEvent,
  type RunStartEvent,
  type TaskEndEvent,
  type TaskEscalateEvent,
  type TaskEvent,
} from './events.js';
export { BatchBudgetExceededError } from './gateway/batch-budget.js';
export { batchCustomId, CUSTOM_ID_PATTERN } from './gateway/batch-plan.js';
export {
  BATCH_MAX_BYTES,
  BATCH_MAX_REQUESTS,
  type BatchCreating,
  type BatchFailed,
  type BatchItem,
  type BatchOptions,
  type BatchOutcome,
  type BatchResult,
  type BatchRun,
  type BatchSubmission,
  type BatchSucceeded,
  type ReconcileBatchOptions,
  type ResumeBatchOptions,
} from './gateway/batch-types.js';
export {
  type CallOptions,
  createGateway,
  Gateway,
  type GatewayOptions,
  type GatewayRequest,
  type GatewayResponse,
  type GatewayStream,
} from './gateway/gateway.js';
export type { GatewayStreamEvent, StreamRetryEvent } from './gateway/gateway-stream.js';
export type { BatchGateway, ModelGateway } from './gateway/model-gateway.js';
export {
  type BaselineReport,
  CostLedger,
  type CostLedgerOptions,
  type CostTreeNode,
  type LedgerFilter,
  type LedgerTotals,
  type RecordInput,
} from './ledger/cost-ledger.js';
export {
  JsonlLedgerStore,
  type JsonlLedgerStoreOptions,
  type Logger,
} from './ledger/jsonl-ledger-store.js';
export { entriesToCsv } from './ledger/ledger-csv.js';
export type { BudgetedEntry, LedgerEntry, LedgerOutcome } from './ledger/ledger-entry.js';
export { type LedgerStore, MemoryLedgerStore } from './ledger/ledger-store.js';
export {
  type FormatUsdOptions,
  formatUsd,
  NANO_PER_USD,
  type NanoUsd,
  perMillionToNanoPerToken,
  usd,
} from './money.js';
export {
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitRequest,
  type RateLimitStats,
  type RateLimits,
  type RateLimitTicket,
} from './rate-limiter.js';
export {
  type EstimatableRequest,
  estimateRequestTokens,
  estimateTextTokens,
} from './token-estimate.js';
