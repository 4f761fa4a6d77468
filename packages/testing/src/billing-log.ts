import { type CostBreakdown, costOf, type ModelCatalog } from '@haiku-army/core';
import type { Usage } from './wire-types.js';

/** One billed response. */
export interface BillingEntry {
  /** The `request-id` of the HTTP request (for a batch, of the batch create request). */
  requestId: string;
  /** The message id returned. */
  messageId: string;
  /** Canonical model id. */
  model: string;
  /** Usage exactly as returned to the client. */
  usage: Usage;
  /** Priced by core's `costOf` (batch usage at 50%), nano-USD. */
  cost: CostBreakdown;
  /** When billed, ms on the fake's clock. */
  time: number;
  /** Set for results of a Message Batch. */
  batchId?: string;
  customId?: string;
  /** True when the response was streamed. */
  stream: boolean;
}

/**
 * Every request the fake billed. Only complete responses are billed: a
 * JSON response when it is sent, a stream when `message_stop` is sent, a
 * batch request when it succeeds. Errors, dropped connections, cut streams
 * and streams that end with an `error` event are not billed (as the real API
 * does not bill failed requests).
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
  record(entry: Omit<BillingEntry, 'cost'>): BillingEntry {
    const full: BillingEntry = {
      ...entry,
      cost: costOf(entry.model, entry.usage, { catalog: this.#catalog }),
    };
    this.#entries.push(full);
    return full;
  }

  /** Total billed, nano-USD. */
  total(): number {
    return this.#entries.reduce((sum, entry) => sum + entry.cost.total, 0);
  }

  /** Total billed per canonical model id, nano-USD. */
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
