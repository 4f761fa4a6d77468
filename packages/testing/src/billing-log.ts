import type { CostBreakdown, ModelCatalog } from '@haiku-army/core';
import { fakeBill, type PriceSource } from './fake-bill.js';
import type { CacheBreakdownItem } from './prompt-cache.js';
import type { Usage } from './wire-types.js';

/** One billed response. */
export interface BillingEntry {
  /** The `request-id` of the HTTP request (for a batch, of the batch create request). */
  requestId: string;
  /** The message id returned. */
  messageId: string;
  /** Canonical model id. */
  model: string;
  /**
   * Usage exactly as returned to the client; for an aborted stream, the
   * usage the fake billed (input as in `message_start`, output as sent).
   */
  usage: Usage;
  /**
   * nano-USD, priced with the fake's own price table (`FAKE_PRICE_TABLE`,
   * batch usage at 50%), not core's `costOf`; a model only in the caller's
   * catalog is priced with core's `costOf` (see `pricedBy`).
   */
  cost: CostBreakdown;
  /** `'price-table'` for the fake's own prices, `'catalog'` for the fallback to core's `costOf`. */
  pricedBy: PriceSource;
  /**
   * Cache writes and reads per cacheable breakpoint, in prompt order; the
   * `written` and `read` figures sum to the usage's cache fields.
   */
  cacheBreakdown: CacheBreakdownItem[];
  /** When billed, ms on the fake's clock. */
  time: number;
  /** Set for results of a Message Batch. */
  batchId?: string;
  customId?: string;
  /** True when the response was streamed. */
  stream: boolean;
  /**
   * True for a stream the client aborted after `message_start`: billed for
   * its input and the output tokens sent before the disconnect.
   */
  aborted?: true;
}

/** Billing totals split by how the response ended. */
export interface BillingTotals {
  /** Everything billed, nano-USD. */
  total: number;
  /** Complete responses, nano-USD. */
  complete: number;
  /** Streams the client aborted, nano-USD. */
  aborted: number;
  /** Number of entries, and of aborted ones. */
  entries: number;
  abortedEntries: number;
}

/**
 * Every request the fake billed: a JSON response when it is sent, a stream
 * when `message_stop` is sent or when the client aborts it after
 * `message_start` (marked `aborted: true`), a batch request when it
 * succeeds. Errors, dropped connections, cut streams and streams that end
 * with an `error` event are not billed (as the real API does not bill failed
 * requests).
 */
export class BillingLog {
  readonly #entries: BillingEntry[] = [];
  readonly #catalog: ModelCatalog;

  constructor(options: { catalog: ModelCatalog }) {
    this.#catalog = options.catalog;
  }

  /** Billed responses, in billing order. */
  get entries(): readonly BillingEntry[] {
    return this.#entries;
  }

  /** Adds an entry, pricing it. @internal */
  record(entry: Omit<BillingEntry, 'cost' | 'pricedBy'>): BillingEntry {
    const full: BillingEntry = { ...entry, ...fakeBill(entry.model, entry.usage, this.#catalog) };
    this.#entries.push(full);
    return full;
  }

  /** Total billed, nano-USD, aborted streams included. */
  total(): number {
    return this.#entries.reduce((sum, entry) => sum + entry.cost.total, 0);
  }

  /** Totals split into complete responses and aborted streams. */
  totals(): BillingTotals {
    let complete = 0;
    let aborted = 0;
    let abortedEntries = 0;
    for (const entry of this.#entries) {
      if (entry.aborted) {
        aborted += entry.cost.total;
        abortedEntries += 1;
      } else complete += entry.cost.total;
    }
    return {
      total: complete + aborted,
      complete,
      aborted,
      entries: this.#entries.length,
      abortedEntries,
    };
  }

  /** The entries of streams the client aborted. */
  aborted(): BillingEntry[] {
    return this.#entries.filter((entry) => entry.aborted === true);
  }

  /** Total billed per canonical model id, nano-USD (aborted streams included). */
  totalsByModel(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const entry of this.#entries)
      totals[entry.model] = (totals[entry.model] ?? 0) + entry.cost.total;
    return totals;
  }

  /** The entry for a request or message id. */
  find(id: string): BillingEntry | undefined {
    return this.#entries.find((entry) => entry.requestId === id || entry.messageId === id);
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.length = 0;
  }
}
