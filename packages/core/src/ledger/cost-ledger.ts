import { randomUUID } from 'node:crypto';
import type { Attribution } from '../attribution.js';
import { defaultCatalog, type ModelCatalog } from '../catalog/model-catalog.js';
import type { ModelInfo } from '../catalog/model-info.js';
import { DEFAULT_BASELINE_MODEL } from '../constants.js';
import {
  addCost,
  addTokens,
  type CostBreakdown,
  costOf,
  type NormalizedUsage,
  normalizeUsage,
  promptTokens,
  type TokenCounts,
  type UsageLike,
  zeroCost,
  zeroTokens,
} from '../cost.js';
import { invalidOption, LedgerStoreError } from '../errors.js';
import type { NanoUsd } from '../money.js';
import { entriesToCsv } from './ledger-csv.js';
import { budgetedCost, type LedgerEntry, type LedgerOutcome } from './ledger-entry.js';
import type { LedgerStore } from './ledger-store.js';
import { PackedEntries } from './packed-entries.js';

/** Options for {@link CostLedger}. */
export interface CostLedgerOptions {
  /**
   * Where entries are also kept (a durable store outlives the process).
   * @default none: the ledger's own memory holds them (a default store would hold every entry twice)
   */
  store?: LedgerStore;
  /** Prices entries. @default the default catalog */
  catalog?: ModelCatalog;
  /**
   * The reference model for the baseline: the same token volumes priced at
   * this model with no cache or batch discount.
   * @default 'claude-opus-5-5'
   */
  baselineModel?: string;
  /** @default Date.now */
  now?: () => number;
  /** @default crypto.randomUUID */
  generateId?: () => string;
}

/** What the gateway (or a batch collector) records for one billed call. */
export interface RecordInput {
  attribution: Attribution;
  /**
   * The model the call used: an id or alias (priced from the ledger's
   * catalog), or the resolved ModelInfo (priced as given, so a gateway with
   * its own catalog and the ledger can never disagree).
   */
  model: string | ModelInfo;
  /** The API's `usage`, as returned. */
  usage: UsageLike | NormalizedUsage;
  latencyMs?: number;
  retries?: number;
  outcome?: LedgerOutcome;
  requestId?: string;
  batchId?: string;
  /** The batch request's `custom_id` (with `batchId`). */
  customId?: string;
  /** The usage is an estimate (a stream aborted after it began). @default false */
  estimated?: boolean;
  /** With `estimated`: what the budget settled the call at, nano-USD (see LedgerEntry.reservedBound). */
  reservedBound?: number;
  /**
   * A result reused from a cache instead of a call: pass zero usage; the
   * entry is marked `reused: true` with this original cost (see LedgerEntry.reused).
   */
  reused?: { originalCost: CostBreakdown };
}

/** Token and money totals over a set of entries. */
export interface LedgerTotals {
  calls: number;
  usage: TokenCounts;
  cost: CostBreakdown;
  /** The part of `cost.total` whose usage is estimated (aborted streams), nano-USD. */
  estimated: NanoUsd;
}

/** The baseline comparison over a set of entries. Money in nano-USD. */
export interface BaselineReport {
  model: string;
  /** What the same tokens would cost at the reference model, no cache or batch discount. */
  baseline: NanoUsd;
  actual: NanoUsd;
  savings: NanoUsd;
  /** savings / baseline, 0 when the baseline is 0. */
  savingsRatio: number;
}

/** A node of the cost tree: a task, its own calls and its subtree. */
export interface CostTreeNode {
  taskId: string;
  parentTaskId?: string;
  /** Calls made by this task itself. */
  own: LedgerTotals;
  /** This task and every descendant. */
  total: LedgerTotals;
  children: CostTreeNode[];
}

/** Which entries a query covers. */
export interface LedgerFilter {
  runId?: string;
  taskId?: string;
  role?: string;
  model?: string;
  tag?: string;
  /** Entries at or after this time, ms since the epoch. */
  since?: number;
  /** Entries before this time. */
  until?: number;
}

/**
 * `crypto.randomUUID()` as a flat string. Node builds the UUID by
 * concatenating its hex pieces, which V8 keeps as a tree of about twenty
 * string pieces until something reads the characters: about 480 bytes of
 * heap for 36 characters, against about 60 once flattened. A ledger holds one
 * id per billed call for its lifetime (100,000 for a 100,000-item map), so
 * the default id is flattened at once (reading a character does it).
 */
function flatRandomUUID(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}

/** The tags of every entry without any: one shared frozen array rather than one per entry. */
const NO_TAGS: readonly string[] = Object.freeze([]);

function emptyTotals(): LedgerTotals {
  return { calls: 0, usage: zeroTokens(), cost: zeroCost(), estimated: 0 };
}

function addEntry(totals: LedgerTotals, entry: LedgerEntry): void {
  // A reused result is an entry, not a call.
  if (!entry.reused) totals.calls += 1;
  totals.usage = addTokens(totals.usage, entry.usage);
  totals.cost = addCost(totals.cost, entry.cost);
  if (entry.estimated) totals.estimated += entry.cost.total;
}

function mergeTotals(into: LedgerTotals, from: LedgerTotals): void {
  into.calls += from.calls;
  into.usage = addTokens(into.usage, from.usage);
  into.cost = addCost(into.cost, from.cost);
  into.estimated += from.estimated;
}

/**
 * One entry per billed model call, attributed to the subtask that made it.
 * Totals and roll-ups by task subtree, model, role and tag; a baseline at a
 * reference model; JSON and CSV export; a pluggable store.
 *
 * @example
 * const ledger = new CostLedger({ store: new JsonlLedgerStore({ path: '.army/ledger.jsonl' }) });
 * await ledger.load();
 */
export class CostLedger {
  /** Undefined when the caller gave none: the ledger's own columns are the in-memory copy. */
  readonly #store: LedgerStore | undefined;
  readonly #catalog: ModelCatalog;
  readonly #now: () => number;
  readonly #generateId: () => string;
  /** Every entry, in columns (see PackedEntries: an entry as objects costs ~500 bytes of heap). */
  readonly #entries = new PackedEntries(NO_TAGS);
  /**
   * Batch entries' indexes by `batchId`, then `customId`: a map per batch, so
   * an entry costs the index one slot (its own `customId` string is the key),
   * not a joined key string of its own.
   */
  readonly #batchIndex = new Map<string, Map<string, number>>();
  #ids: Set<string> | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #failures: LedgerStoreError[] = [];
  readonly #durable: boolean;
  #loaded = false;
  readonly baselineModel: string;

  constructor(options: CostLedgerOptions = {}) {
    this.#store = options.store;
    // Without a store there is nothing from earlier runs to load.
    this.#durable = options.store !== undefined;
    this.#catalog = options.catalog ?? defaultCatalog;
    this.#now = options.now ?? Date.now;
    this.#generateId = options.generateId ?? flatRandomUUID;
    this.baselineModel = this.#catalog.get(options.baselineModel ?? DEFAULT_BASELINE_MODEL).id;
  }

  /**
   * Loads the entries already in the store (earlier runs). Call once before
   * recording. An id the store holds more than once (a line appended again)
   * is loaded once, so nothing is counted twice.
   */
  async load(): Promise<this> {
    const loaded = (await this.#store?.load()) ?? [];
    // Kept only when restore() already keeps one: a ledger that only loads needs none after.
    const known = this.#ids ?? this.#heldIds();
    for (const entry of loaded) {
      if (known.has(entry.id)) continue;
      known.add(entry.id);
      this.#push(entry);
    }
    this.#sort();
    this.#loaded = true;
    return this;
  }

  /**
   * Every held entry's id, built the first time restore() must skip entries
   * already held, then kept current by #push: a coordinator restores
   * other processes' entries every few hundred milliseconds, and rebuilding
   * the set each time would cost a pass over the whole ledger.
   */
  #knownIds(): Set<string> {
    this.#ids ??= this.#heldIds();
    return this.#ids;
  }

  #heldIds(): Set<string> {
    const ids = new Set<string>();
    for (let index = 0; index < this.#entries.length; index++) ids.add(this.#entries.id(index));
    return ids;
  }

  /** Stores an entry and indexes it. */
  #push(entry: LedgerEntry): void {
    this.#index(this.#entries.push(entry));
    this.#ids?.add(entry.id);
  }

  #index(index: number): void {
    const batchId = this.#entries.batchId(index);
    const customId = this.#entries.customId(index);
    if (batchId === undefined || customId === undefined) return;
    let batch = this.#batchIndex.get(batchId);
    if (!batch) {
      batch = new Map();
      this.#batchIndex.set(batchId, batch);
    }
    batch.set(customId, index);
  }

  /** Orders the entries by time; the batch index follows them. */
  #sort(): void {
    // Entries before `from` kept their places, and so their batch-index slots.
    const from = this.#entries.sortByTimestamp();
    for (let index = from; index < this.#entries.length; index++) this.#index(index);
  }

  /** The entry recorded for a batch request (its batch id and `custom_id`), if any. */
  batchEntry(batchId: string, customId: string): LedgerEntry | undefined {
    const index = this.#batchIndex.get(batchId)?.get(customId);
    return index === undefined ? undefined : this.#entries.at(index);
  }

  /** True once `load()` ran, or when the ledger has no store (nothing earlier to load). */
  get loaded(): boolean {
    return this.#loaded || !this.#durable;
  }

  /** The catalog the ledger prices with. */
  get catalog(): ModelCatalog {
    return this.#catalog;
  }

  /** Records one billed call, pricing it from its real usage. Returns the stored entry. */
  record(input: RecordInput): LedgerEntry {
    const attribution = input.attribution;
    if (
      !attribution ||
      typeof attribution.runId !== 'string' ||
      typeof attribution.taskId !== 'string'
    ) {
      throw invalidOption('attribution', 'an object with string `runId` and `taskId`', attribution);
    }
    const model = typeof input.model === 'string' ? this.#catalog.get(input.model) : input.model;
    const usage = 'inputTokens' in input.usage ? input.usage : normalizeUsage(input.usage);
    const entry: LedgerEntry = {
      id: this.#generateId(),
      timestamp: this.#now(),
      runId: attribution.runId,
      taskId: attribution.taskId,
      role: attribution.role,
      model: model.id,
      attempt: attribution.attempt ?? 1,
      tags: attribution.tags && attribution.tags.length > 0 ? [...attribution.tags] : NO_TAGS,
      usage,
      cost: costOf(model, usage),
      latencyMs: input.latencyMs ?? 0,
      retries: input.retries ?? 0,
      outcome: input.outcome ?? 'success',
    };
    if (attribution.parentTaskId !== undefined) entry.parentTaskId = attribution.parentTaskId;
    if (input.requestId !== undefined) entry.requestId = input.requestId;
    if (input.batchId !== undefined) entry.batchId = input.batchId;
    if (input.customId !== undefined) entry.customId = input.customId;
    if (input.estimated) entry.estimated = true;
    if (input.estimated && input.reservedBound !== undefined)
      entry.reservedBound = input.reservedBound;
    if (input.reused) {
      entry.reused = true;
      entry.originalCost = { ...input.reused.originalCost };
    }
    this.#push(entry);
    this.#append(entry);
    return entry;
  }

  /**
   * Appends one entry to the store. A synchronous store failure throws a
   * LedgerStoreError carrying the entry; an asynchronous one surfaces from
   * `flush()`, never as an unhandled rejection.
   */
  #append(entry: LedgerEntry): void {
    if (!this.#store) return;
    let written: void | Promise<void>;
    try {
      written = this.#store.append(entry);
    } catch (error) {
      // The entry stays in memory and travels with the error: the call was billed.
      throw this.#storeError(entry, error);
    }
    if (written instanceof Promise) {
      const tracked: Promise<void> = written
        .then(
          () => {},
          (error: unknown) => {
            this.#failures.push(this.#storeError(entry, error));
          },
        )
        .finally(() => this.#pending.delete(tracked));
      this.#pending.add(tracked);
    }
  }

  #storeError(entry: LedgerEntry, error: unknown): LedgerStoreError {
    const reason = error instanceof Error ? error.message : String(error);
    return new LedgerStoreError(
      `The ledger store failed to append entry ${entry.id}: ${reason}`,
      entry,
      { cause: error },
    );
  }

  /**
   * Adds entries recorded elsewhere, as they are (already priced, ids kept):
   * the billed calls of an interrupted run, read back from its journal, so
   * totals, the cost tree and period caps include them. Entries whose id the
   * ledger already holds are skipped; the others are appended to the store
   * too (a failed write surfaces from `flush()`; the entries stay in memory).
   * Returns the entries it added. An entry that is not one throws
   * `INVALID_OPTIONS` naming its index; the entries before it are added.
   *
   * @example const added = ledger.restore(journaledEntries);
   */
  restore(entries: readonly LedgerEntry[]): LedgerEntry[] {
    if (!Array.isArray(entries))
      throw invalidOption('entries', 'an array of ledger entries', entries);
    const known = this.#knownIds();
    const added: LedgerEntry[] = [];
    for (const [index, entry] of entries.entries()) {
      if (
        !entry ||
        typeof entry.id !== 'string' ||
        typeof entry.runId !== 'string' ||
        typeof entry.taskId !== 'string' ||
        !Number.isFinite(entry.timestamp) ||
        !Number.isInteger(entry.cost?.total)
      )
        throw invalidOption(
          `entries[${index}]`,
          'a ledger entry (id, timestamp, runId, taskId, usage, cost)',
          entry,
        );
      if (known.has(entry.id)) continue;
      const copy: LedgerEntry = {
        ...entry,
        tags: Array.isArray(entry.tags) && entry.tags.length > 0 ? [...entry.tags] : NO_TAGS,
      };
      try {
        this.#push(copy);
      } catch (error) {
        // Only an entry of another shape that cannot be copied (a function in it) gets here.
        if (added.length > 0) this.#sort();
        throw invalidOption(
          `entries[${index}]`,
          `a ledger entry of plain data (${(error as Error).message})`,
          entry,
        );
      }
      known.add(entry.id);
      added.push(copy);
      try {
        this.#append(copy);
      } catch (error) {
        this.#failures.push(error as LedgerStoreError);
      }
    }
    if (added.length > 0) this.#sort();
    return added;
  }

  /**
   * Waits until an asynchronous store has written every entry.
   * @throws LedgerStoreError (the first of them) when writes failed since the last flush; the entries stay in memory.
   */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    const failures = this.#failures.splice(0);
    if (failures.length > 0) {
      const [first] = failures as [LedgerStoreError];
      if (failures.length > 1) first.message += ` (and ${failures.length - 1} more failed writes)`;
      throw first;
    }
  }

  /** Flushes and closes the store. */
  async close(): Promise<void> {
    await this.flush();
    await this.#store?.close?.();
  }

  /**
   * The entry with this id, if the ledger holds it. Searched from the newest,
   * so looking up an entry just recorded (a call's `entryId`) costs little
   * however long the ledger is.
   *
   * @example const entry = ledger.entry(event.entryId);
   */
  entry(id: string): LedgerEntry | undefined {
    const index = this.#entries.lastIndexOf(id);
    return index < 0 ? undefined : this.#entries.at(index);
  }

  /** Entries matching the filter, oldest first. */
  entries(filter: LedgerFilter = {}): LedgerEntry[] {
    return [...this.each(filter)];
  }

  /**
   * Entries matching the filter, oldest first, built one at a time as they
   * are read: totals over a large ledger never hold all its entries as
   * objects at once. Entries recorded while iterating are not among them.
   */
  *each(filter: LedgerFilter = {}): Generator<LedgerEntry, void, undefined> {
    const entries = this.#entries;
    // Resolved once, and only when an entry is compared (an unknown model over no entries throws nothing).
    let model: string | undefined;
    const wantedModel = (name: string): string => {
      if (model === undefined) model = this.#catalog.get(name).id;
      return model;
    };
    const matches = (entry: LedgerEntry): boolean => {
      if (filter.runId !== undefined && entry.runId !== filter.runId) return false;
      if (filter.taskId !== undefined && entry.taskId !== filter.taskId) return false;
      if (filter.role !== undefined && entry.role !== filter.role) return false;
      if (filter.model !== undefined && entry.model !== wantedModel(filter.model)) return false;
      if (filter.tag !== undefined && !entry.tags.includes(filter.tag)) return false;
      if (filter.since !== undefined && entry.timestamp < filter.since) return false;
      if (filter.until !== undefined && entry.timestamp >= filter.until) return false;
      return true;
    };
    const length = entries.length;
    // The columns are tested first, so only matching entries are built as objects.
    for (let index = 0; index < length; index++) {
      const whole = entries.whole(index);
      if (whole) {
        if (matches(whole)) yield entries.at(index);
        continue;
      }
      if (filter.runId !== undefined && entries.runId(index) !== filter.runId) continue;
      if (filter.taskId !== undefined && entries.taskId(index) !== filter.taskId) continue;
      if (filter.role !== undefined && entries.role(index) !== filter.role) continue;
      if (filter.model !== undefined && entries.model(index) !== wantedModel(filter.model))
        continue;
      if (filter.tag !== undefined && !entries.hasTag(index, filter.tag)) continue;
      const timestamp = entries.timestamp(index);
      if (filter.since !== undefined && timestamp < filter.since) continue;
      if (filter.until !== undefined && timestamp >= filter.until) continue;
      yield entries.at(index);
    }
  }

  /** Totals over the entries matching the filter. */
  totals(filter: LedgerFilter = {}): LedgerTotals {
    const totals = emptyTotals();
    for (const entry of this.each(filter)) addEntry(totals, entry);
    return totals;
  }

  /**
   * What the budget counts for the entries matching the filter, nano-USD:
   * their cost, except that an estimated entry (an aborted stream) counts
   * max(cost, reservedBound), the amount its budget was settled at, because
   * the API's bill for it may exceed the estimate. Day and month caps rebuilt
   * from the ledger use this, so they stay hard across restarts. For the
   * estimate itself use `totals().cost.total`.
   */
  spent(filter: LedgerFilter = {}): NanoUsd {
    let total = 0;
    for (const entry of this.each(filter)) total += budgetedCost(entry);
    return total;
  }

  #groupBy(
    filter: LedgerFilter,
    keys: (entry: LedgerEntry) => readonly string[],
  ): Record<string, LedgerTotals> {
    const groups: Record<string, LedgerTotals> = {};
    for (const entry of this.each(filter)) {
      for (const key of keys(entry)) {
        groups[key] ??= emptyTotals();
        addEntry(groups[key], entry);
      }
    }
    return groups;
  }

  /** Totals per model. */
  byModel(filter: LedgerFilter = {}): Record<string, LedgerTotals> {
    return this.#groupBy(filter, (entry) => [entry.model]);
  }

  /** Totals per role. */
  byRole(filter: LedgerFilter = {}): Record<string, LedgerTotals> {
    return this.#groupBy(filter, (entry) => [entry.role]);
  }

  /** Totals per tag (an entry with several tags counts under each). */
  byTag(filter: LedgerFilter = {}): Record<string, LedgerTotals> {
    return this.#groupBy(filter, (entry) => entry.tags);
  }

  /** Totals per task (own calls only). */
  byTask(filter: LedgerFilter = {}): Record<string, LedgerTotals> {
    return this.#groupBy(filter, (entry) => [entry.taskId]);
  }

  /**
   * The task tree of a run with costs rolled up: each node's `total` is its
   * own calls plus every descendant's. Roots are tasks with no parent (or
   * whose parent made no calls and has no parent itself).
   */
  costTree(filter: LedgerFilter = {}): CostTreeNode[] {
    const nodes = new Map<string, CostTreeNode>();
    const node = (taskId: string): CostTreeNode => {
      let found = nodes.get(taskId);
      if (!found) {
        found = { taskId, own: emptyTotals(), total: emptyTotals(), children: [] };
        nodes.set(taskId, found);
      }
      return found;
    };
    for (const entry of this.each(filter)) {
      const current = node(entry.taskId);
      addEntry(current.own, entry);
      if (entry.parentTaskId !== undefined && entry.parentTaskId !== entry.taskId) {
        current.parentTaskId ??= entry.parentTaskId;
        node(entry.parentTaskId);
      }
    }
    const roots: CostTreeNode[] = [];
    for (const current of nodes.values()) {
      const parent =
        current.parentTaskId === undefined ? undefined : nodes.get(current.parentTaskId);
      if (parent) parent.children.push(current);
      else roots.push(current);
    }
    const visiting = new Set<string>();
    const roll = (current: CostTreeNode): LedgerTotals => {
      // A cycle in parent links (bad attribution) is cut rather than looped.
      if (visiting.has(current.taskId)) return emptyTotals();
      visiting.add(current.taskId);
      mergeTotals(current.total, current.own);
      for (const child of current.children) mergeTotals(current.total, roll(child));
      return current.total;
    };
    for (const root of roots) roll(root);
    return roots;
  }

  /** Totals for a task and every task below it. */
  subtree(taskId: string, filter: LedgerFilter = {}): LedgerTotals {
    const find = (list: CostTreeNode[]): CostTreeNode | undefined => {
      for (const candidate of list) {
        if (candidate.taskId === taskId) return candidate;
        const inner = find(candidate.children);
        if (inner) return inner;
      }
      return undefined;
    };
    return find(this.costTree(filter))?.total ?? emptyTotals();
  }

  /**
   * What the same token volumes would cost at a reference model with no cache
   * or batch discount, and the savings against it.
   */
  baseline(filter: LedgerFilter = {}, model: string = this.baselineModel): BaselineReport {
    const reference = this.#catalog.get(model);
    let baseline = 0;
    let actual = 0;
    for (const entry of this.each(filter)) {
      actual += entry.cost.total;
      baseline += costOf(reference, {
        input_tokens: promptTokens(entry.usage),
        output_tokens: entry.usage.outputTokens,
      }).total;
    }
    const savings = baseline - actual;
    return {
      model: reference.id,
      baseline,
      actual,
      savings,
      savingsRatio: baseline === 0 ? 0 : savings / baseline,
    };
  }

  /** Every entry matching the filter, as plain JSON. */
  toJSON(filter: LedgerFilter = {}): {
    baselineModel: string;
    totals: LedgerTotals;
    entries: LedgerEntry[];
  } {
    return {
      baselineModel: this.baselineModel,
      totals: this.totals(filter),
      entries: this.entries(filter),
    };
  }

  /** Every entry matching the filter as CSV (one row per call, nano-USD columns). */
  toCSV(filter: LedgerFilter = {}): string {
    return entriesToCsv(this.entries(filter));
  }
}
