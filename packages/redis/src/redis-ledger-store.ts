import type { LedgerEntry, LedgerStore } from '@haiku-army/core';
import { DEFAULT_KEY_PREFIX } from './constants.js';
import { backendUnavailable } from './internal/connect.js';
import { runKeys } from './internal/keys.js';
import type { ScriptedRedis } from './internal/scripts.js';

/** Options of {@link RedisLedgerStore}. */
export interface RedisLedgerStoreOptions {
  /** A connection from this package (`connectRedis`). */
  redis: ScriptedRedis;
  /** The URL, for error messages. */
  url: string;
  /** @default 'haiku-army' */
  prefix?: string;
}

/**
 * A ledger store that appends each entry to its run's Redis stream, so every
 * process's billed calls of a run land in one place: the coordinator's
 * ledger is the stream's entries, deduplicated by entry id (`readRunLedger`).
 * A CostLedger over it surfaces a failed write from `flush()`.
 */
export class RedisLedgerStore implements LedgerStore {
  readonly #redis: ScriptedRedis;
  readonly #url: string;
  readonly #prefix: string;

  constructor(options: RedisLedgerStoreOptions) {
    this.#redis = options.redis;
    this.#url = options.url;
    this.#prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  }

  async append(entry: LedgerEntry): Promise<void> {
    try {
      await this.#redis.xadd(
        runKeys(this.#prefix, entry.runId).ledger,
        '*',
        'id',
        entry.id,
        'entry',
        JSON.stringify(entry),
      );
    } catch (error) {
      throw backendUnavailable(this.#url, error);
    }
  }

  /** A worker's ledger starts empty: a run's entries are read with {@link readRunLedger}. */
  load(): LedgerEntry[] {
    return [];
  }
}

/** A run's ledger stream read from `after` (exclusive), and the last stream id read. */
export async function readRunLedger(
  redis: ScriptedRedis,
  options: { prefix?: string; runId: string; after?: string; url: string },
): Promise<{ entries: LedgerEntry[]; last: string }> {
  const key = runKeys(options.prefix ?? DEFAULT_KEY_PREFIX, options.runId).ledger;
  const entries: LedgerEntry[] = [];
  const seen = new Set<string>();
  let last = options.after ?? '0-0';
  for (;;) {
    let page: [string, string[]][];
    try {
      page = await redis.xrange(key, `(${last}`, '+', 'COUNT', 1000);
    } catch (error) {
      throw backendUnavailable(options.url, error);
    }
    if (page.length === 0) break;
    for (const [streamId, fields] of page) {
      last = streamId;
      const json = fields[fields.indexOf('entry') + 1];
      if (json === undefined) continue;
      const entry = JSON.parse(json) as LedgerEntry;
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      entries.push(entry);
    }
  }
  return { entries, last };
}
