export * from './behaviours/index.js';
export { type BillingEntry, BillingLog, type BillingTotals } from './billing-log.js';
export * from './constants.js';
export { createFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
export {
  type BillableUsage,
  billWithPriceTable,
  fakeBill,
  fakePriceEntry,
  type PriceSource,
} from './fake-bill.js';
export {
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
export type * from './wire-types.js';
