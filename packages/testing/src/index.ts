export {
  armyDefaultRole,
  armyRoundDone,
  createDemoResponders,
  createPlannerResponder,
  createSynthesizerResponder,
  createWorkerResponder,
  type DemoRespondersOptions,
  type DemoRole,
  detectRole,
  extractSummaries,
  type FileWriterOptions,
  FLAW_EXPORT_THRESHOLD,
  type FlawInput,
  inputFor,
  outlineSource,
  type PlanDraft,
  type PlanDraftSubtask,
  type PlannerResponderOptions,
  type PromptFields,
  parsePromptFields,
  requestedPlanShape,
  type SourceExample,
  type SourceExport,
  type SourceOutline,
  type SynthesizerResponderOptions,
  termsFromJob,
  toArmyPlan,
  type WorkerFindings,
  type WorkerResponderOptions,
} from './behaviours/index.js';
export { type BillingEntry, BillingLog, type BillingTotals } from './billing-log.js';
export {
  API_VERSION,
  BATCH_EXPIRY_MS,
  CACHE_TTL_MS,
  DEFAULT_BASE_URL,
  DEFAULT_BATCH_PROCESSING_MS,
  DEFAULT_FAULT_RETRY_AFTER_MS,
  DEFAULT_FIRST_BYTE_HOLD_MAX_MS,
  DEFAULT_FIRST_BYTE_MS,
  DEFAULT_MODEL_LIMITS,
  IMAGE_MAX_EDGE_PX,
  IMAGE_MAX_TOKENS,
  IMAGE_PIXELS_PER_TOKEN,
  MAX_CACHE_BREAKPOINTS,
  MESSAGE_OVERHEAD_TOKENS,
  PDF_PAGE_TOKENS,
  PDF_UNREADABLE_PAGES,
  STREAM_JSON_CHUNK_CHARS,
  STREAM_TEXT_CHUNK_TOKENS,
} from './constants.js';
export { createFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
export {
  type BillableUsage,
  billWithPriceTable,
  fakeBill,
  fakePriceEntry,
  type PriceSource,
} from './fake-bill.js';
export {
  type BatchFaultKind,
  type BatchFaultRates,
  type Fault,
  FaultController,
  type FaultKind,
  type FaultOptions,
  type FaultRates,
  type FaultTarget,
} from './faults.js';
export type { PromptSection } from './internal/prompt-blocks.js';
export {
  type LatencyDistribution,
  type LatencyOptions,
  type LatencySetting,
  type ModelLatency,
  sampleLatency,
} from './latency.js';
export {
  countDocumentTokens,
  countImageTokens,
  countPdfPages,
  imageTokensFor,
} from './media-tokens.js';
export type { FakeAnthropicOptions, IdKind } from './options.js';
export {
  FAKE_PRICE_RULES,
  FAKE_PRICE_TABLE,
  FAKE_PRICES_AS_OF,
  type FakeListPrices,
  type FakePriceEntry,
} from './price-table.js';
export {
  type CacheAccounting,
  type CacheBreakdownItem,
  type CacheEntry,
  PromptCache,
} from './prompt-cache.js';
export { createRandom, type Random } from './random.js';
export {
  type AcquireResult,
  type LimitState,
  type ModelLimits,
  RateLimits,
  type RateLimitsOptions,
} from './rate-limits.js';
export {
  type ErrorReply,
  type ErrorReplyOptions,
  type ExpiredReply,
  errorTypeForStatus,
  type MessageReply,
  type Reply,
  type ReplyBlock,
  reply,
  type TextReplyBlock,
  type ToolCall,
  type ToolUseReplyBlock,
} from './replies.js';
export {
  contentText,
  lastUserText,
  systemText,
  type ToolExchange,
  toolExchanges,
} from './request-text.js';
export {
  type Responder,
  type ResponderContext,
  type ResponderRoute,
  sequence,
} from './responder.js';
export { type InProcessFakeAnthropic, setupFakeAnthropic } from './setup-fake-anthropic.js';
export {
  type FakeAnthropicServer,
  type FakeServerStats,
  type StartFakeAnthropicOptions,
  startFakeAnthropic,
} from './start-fake-anthropic.js';
export {
  type CountableRequest,
  countBlockTokens,
  countRequestTokens,
  countTextTokens,
  countToolTokens,
  splitByTokens,
  truncateToTokens,
} from './token-counter.js';
export { Transcript, type TranscriptEntry } from './transcript.js';
export type {
  CacheControl,
  ErrorBody,
  Message,
  MessageRequest,
  RequestContentBlock,
  RequestMessage,
  RequestTool,
  ResponseContentBlock,
  StopReason,
  TextBlock,
  ToolUseBlock,
  Usage,
} from './wire-types.js';
