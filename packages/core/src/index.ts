export type { Attribution, CallRole } from './attribution.js';
export * from './budget.js';
export {
  defaultCatalog,
  getModel,
  listModels,
  ModelCatalog,
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
export * from './constants.js';
export * from './cost.js';
export * from './errors.js';
export * from './events.js';
export { BatchBudgetExceededError } from './gateway/batch-budget.js';
export { batchCustomId, CUSTOM_ID_PATTERN } from './gateway/batch-plan.js';
export {
  BATCH_MAX_BYTES,
  BATCH_MAX_REQUESTS,
  type BatchFailed,
  type BatchItem,
  type BatchOptions,
  type BatchOutcome,
  type BatchResult,
  type BatchRun,
  type BatchSubmission,
  type BatchSucceeded,
  DEFAULT_BATCH_MAX_POLL_INTERVAL_MS,
  DEFAULT_BATCH_POLL_INTERVAL_MS,
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
export { classifyFailure, type FailureInfo, retryAfterMs } from './gateway/retry-policy.js';
export {
  inputTokensUpperBound,
  type PriceableRequest,
  worstCaseCost,
} from './gateway/worst-case.js';
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
export type { LedgerEntry, LedgerOutcome } from './ledger/ledger-entry.js';
export { type LedgerStore, MemoryLedgerStore } from './ledger/ledger-store.js';
export * from './money.js';
export * from './rate-limiter.js';
export * from './token-estimate.js';
