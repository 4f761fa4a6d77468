import type { LedgerEntry } from './ledger-entry.js';

/**
 * Where ledger entries are kept. `append` is called once per billed call, in
 * order; `load` returns everything appended before (across runs and
 * processes for durable stores).
 */
export interface LedgerStore {
  append(entry: LedgerEntry): void | Promise<void>;
  load(): LedgerEntry[] | Promise<LedgerEntry[]>;
  /** Releases resources (file handles). */
  close?(): void | Promise<void>;
}

/** Keeps entries in memory, for ledgers that share one within a process; nothing survives the process. (A ledger given no store keeps its entries itself.) */
export class MemoryLedgerStore implements LedgerStore {
  readonly #entries: LedgerEntry[] = [];

  append(entry: LedgerEntry): void {
    this.#entries.push(entry);
  }

  load(): LedgerEntry[] {
    return [...this.#entries];
  }
}
