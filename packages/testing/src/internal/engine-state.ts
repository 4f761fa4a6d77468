import type { ModelCatalog } from '@haiku-army/core';
import type { BillingLog } from '../billing-log.js';
import type { FaultController } from '../faults.js';
import type { LatencySetting } from '../latency.js';
import type { PromptCache } from '../prompt-cache.js';
import type { Random } from '../random.js';
import type { RateLimits } from '../rate-limits.js';
import type { Transcript } from '../transcript.js';
import type { BatchStore } from './batch-store.js';
import type { IdKind } from './ids.js';
import type { ResponderRegistry } from './responder-registry.js';

/** Everything the request handlers share. */
export interface EngineState {
  catalog: ModelCatalog;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Draws latency samples. */
  random: Random;
  nextId: (kind: IdKind) => string;
  cache: PromptCache;
  limits: RateLimits;
  faults: FaultController;
  billing: BillingLog;
  transcript: Transcript;
  responders: ResponderRegistry;
  batches: BatchStore;
  /** The `latency` option (undefined: the per-tier defaults). */
  latency: LatencySetting | undefined;
  /** When set, only these keys authenticate. */
  apiKeys: ReadonlySet<string> | undefined;
  batchProcessingMs: number;
  /** Requests that write each prefix, keyed `model:hash` (for the default first-byte hold). */
  arrivals: Map<string, number>;
  /** Path prefix of the base URL the API answers under ('' or e.g. '/anthropic'). */
  basePath: string;
}
