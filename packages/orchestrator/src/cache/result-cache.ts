import type { CostBreakdown } from '@haiku-army/core';
import type { SubtaskDependencies } from '@haiku-army/worker';

/** What a cache entry holds the result of. */
export type CachedKind = 'subtask' | 'plan' | 'synthesis';

/**
 * One stored result: what it was, what it cost when it ran, and (for a
 * subtask) what it read, so a later run can check it still holds. Never an
 * API key or a header: only prompts' hashes, results and file records.
 */
export interface CachedResult {
  kind: CachedKind;
  /** The key it is stored under. */
  key: string;
  /** The run that produced it. */
  runId: string;
  /** When it was stored, ms since the epoch. */
  createdAt: number;
  /** The model that produced it. */
  model: string;
  /** What producing it cost, nano-USD. */
  originalCost: CostBreakdown;
  /** The result: a SubtaskResult, a Plan, or the synthesized answer. */
  value: unknown;
  /** For a subtask: what its worker read, queried and wrote. */
  dependencies?: SubtaskDependencies;
}

/** Options of {@link ResultCache.prune}. */
export interface PruneOptions {
  /** Remove entries not stored or used for longer than this, ms. */
  olderThanMs: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Where finished results are kept between runs, content-addressed by a key
 * that hashes everything the result was made from. Pluggable (`cache` of
 * createArmy): a shared backend implements these four methods.
 */
export interface ResultCache {
  /** The entry under `key`, or undefined (a missing or unreadable entry is a miss, never an error). */
  get(key: string): Promise<CachedResult | undefined>;
  /** Stores an entry under its `key`, replacing any older one atomically. */
  put(entry: CachedResult): Promise<void>;
  /** Removes old entries; returns how many. */
  prune(options: PruneOptions): Promise<number>;
  /** Removes every entry; returns how many. */
  clear(): Promise<number>;
}
