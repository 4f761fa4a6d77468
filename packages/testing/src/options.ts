import type { ModelCatalog } from '@haiku-army/core';
import type { BatchFaultRates, FaultOptions } from './faults.js';
import type { IdKind } from './internal/ids.js';
import type { LatencySetting } from './latency.js';
import type { ModelLimits } from './rate-limits.js';
import type { Responder, ResponderRoute } from './responder.js';

/**
 * Options for {@link createFakeAnthropic}, {@link setupFakeAnthropic} and
 * {@link startFakeAnthropic}. Validated up front: a bad value throws an
 * `ArmyError` with code `INVALID_OPTIONS` naming the option, and a model
 * key that is not in `catalog` throws `UNKNOWN_MODEL`.
 */
export interface FakeAnthropicOptions {
  /**
   * Scripted responders per model: the id or alias as requests send it (looked
   * up first), or the canonical id.
   * @default {} (every model answers with one simulated sentence)
   */
  models?: Record<string, Responder>;
  /** Named responders that `route` can pick (e.g. by role). @default {} */
  responders?: Record<string, Responder>;
  /**
   * Picks a named responder for a request; return `undefined` to use the
   * per-model responder.
   * @default none
   */
  route?: ResponderRoute;
  /** Answers requests no other responder matches. @default one simulated sentence */
  defaultResponder?: Responder;
  /** Rate limits per model id or alias. @default {} (every model uses `defaultLimits`) */
  limits?: Record<string, ModelLimits>;
  /** Limits for models not listed in `limits`. @default 4,000 RPM, 4M ITPM, 800K OTPM */
  defaultLimits?: ModelLimits;
  /**
   * Time to first byte and per output token, with per-model overrides (id or
   * alias), or a number: every model's first byte in ms. `latency: 0` (or
   * `{ firstByte: 0 }`) makes responses begin at once.
   * @default a first byte of 30 ms (haiku), 50 ms (sonnet) or 80 ms (opus), by the model's tier; no per-token delay
   */
  latency?: LatencySetting;
  /** Random fault rates. @default none */
  faults?: FaultOptions;
  /**
   * Random failures of Message Batch requests: each request of a batch is
   * `errored` or `expired` with these probabilities (not billed), drawn from
   * the seed, the batch id and the custom id. @default none
   */
  batchFaults?: BatchFaultRates;
  /** Seed of every random choice (faults, latency, `context.random()`). @default 1 */
  seed?: number;
  /** Clock in ms, for TTLs, rate-limit refill and batch timing. @default Date.now */
  now?: () => number;
  /** How the fake waits for latency. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Time from batch creation to `ended`, ms on the `now` clock. @default 50 */
  batchProcessingMs?: number;
  /** The model catalog (known models, prices, minimum cacheable tokens). @default core's default catalog */
  catalog?: ModelCatalog;
  /** When set, only these API keys authenticate. @default any non-empty key authenticates */
  apiKeys?: readonly string[];
  /** Id generator. @default deterministic counters (`msg_fake_00000001`, ...) */
  generateId?: (kind: IdKind) => string;
  /**
   * Base URL the msw handlers answer on (in-process use only). It may have a
   * path (`http://proxy.local/anthropic`); the API is served under it.
   * @default 'http://fake-anthropic.local'
   */
  baseURL?: string;
}

export type { IdKind };
