import type { CostBreakdown } from '../cost.js';
import type { LedgerEntry } from './ledger-entry.js';

/*
 * The ledger's entries, kept in columns rather than as one object graph per
 * entry. Written by hand: no library packs a fixed record shape into typed
 * arrays with string interning and a per-record fallback.
 *
 * Why: a ledger holds one entry per billed call for its lifetime. As objects
 * (the entry, its usage, its cost, their property arrays and boxed numbers)
 * an entry costs about 500 bytes of V8 heap, so a 100,000-item map keeps
 * 50 MB alive, and V8, which lets the old generation grow to several times
 * what survived its last full collection, turns that into 200 MB or more of
 * resident memory. Here an entry costs its unique strings (id, task id,
 * custom id, request id) on the heap and about 160 bytes of typed-array
 * memory outside it; the strings that repeat (run, role, model, outcome,
 * tier, parent, batch, tag lists) are stored once.
 *
 * Entries are rebuilt as fresh objects when read, with the keys in the order
 * `CostLedger.record` writes them. An entry whose shape is not the one
 * record() makes (an unknown key, a value of another type: a restored entry
 * from elsewhere) is kept whole, as given, so nothing is lost or changed.
 */

/** Numeric columns, in this order, per entry. */
const NUMBERS = 15;
const N_TIMESTAMP = 0;
const N_ATTEMPT = 1;
const N_LATENCY = 2;
const N_RETRIES = 3;
const N_USAGE = 4; // 5 counts: input, output, cache write 5m, cache write 1h, cache read
const N_COST = 9; // 5 amounts: input, output, cacheWrite, cacheRead, total
const N_RESERVED = 14;

/** Interned-string columns, in this order, per entry (0: absent). */
const CODES = 9;
const C_RUN = 0;
const C_ROLE = 1;
const C_MODEL = 2;
const C_OUTCOME = 3;
const C_TIER = 4;
const C_PARENT = 5;
const C_BATCH = 6;
const C_TAGS = 7;
const C_FLAGS = 8;

const F_ESTIMATED = 1;
const F_RESERVED = 2;
const F_REUSED = 4;

const USAGE_KEYS = [
  'inputTokens',
  'outputTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'cacheReadTokens',
] as const;
const COST_KEYS = ['input', 'output', 'cacheWrite', 'cacheRead', 'total'] as const;

const STRING_KEYS = ['id', 'runId', 'taskId', 'role', 'model', 'outcome'] as const;
const NUMBER_KEYS = ['timestamp', 'attempt', 'latencyMs', 'retries'] as const;
const OPTIONAL_STRING_KEYS = ['parentTaskId', 'requestId', 'batchId', 'customId'] as const;
const KNOWN_KEYS = new Set<string>([
  ...STRING_KEYS,
  ...NUMBER_KEYS,
  ...OPTIONAL_STRING_KEYS,
  'tags',
  'usage',
  'cost',
  'estimated',
  'reservedBound',
  'reused',
  'originalCost',
]);

function hasExactly(value: unknown, keys: readonly string[], extra?: string): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const own = Object.keys(value);
  if (own.length !== keys.length + (extra ? 1 : 0)) return false;
  const record = value as Record<string, unknown>;
  for (const key of keys) if (typeof record[key] !== 'number') return false;
  return extra === undefined || typeof record[extra] === 'string';
}

/** True when `entry` has exactly the shape record() gives, so its columns rebuild it as it was. */
function packable(entry: LedgerEntry): boolean {
  const record = entry as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!KNOWN_KEYS.has(key)) return false;
  for (const key of STRING_KEYS) if (typeof record[key] !== 'string') return false;
  for (const key of NUMBER_KEYS) if (typeof record[key] !== 'number') return false;
  for (const key of OPTIONAL_STRING_KEYS)
    if (key in record && typeof record[key] !== 'string') return false;
  if (!Array.isArray(entry.tags) || !entry.tags.every((tag) => typeof tag === 'string'))
    return false;
  if (!hasExactly(entry.usage, USAGE_KEYS, 'serviceTier')) return false;
  if (!hasExactly(entry.cost, COST_KEYS)) return false;
  if ('estimated' in record && record.estimated !== true) return false;
  if ('reused' in record && record.reused !== true) return false;
  if ('reservedBound' in record && typeof record.reservedBound !== 'number') return false;
  if ('originalCost' in record && (!entry.reused || !hasExactly(entry.originalCost, COST_KEYS)))
    return false;
  return true;
}

export class PackedEntries {
  #length = 0;
  /** Entries [0, #sorted) are in timestamp order (so a re-sort looks only past them). */
  #sorted = 0;
  #capacity = 0;
  #numbers = new Float64Array(0);
  #codes = new Uint32Array(0);
  readonly #ids: string[] = [];
  readonly #taskIds: string[] = [];
  readonly #customIds: (string | undefined)[] = [];
  readonly #requestIds: (string | undefined)[] = [];
  /** Interned strings; index 0 stands for "absent". */
  readonly #strings: (string | undefined)[] = [undefined];
  readonly #stringIndex = new Map<string, number>();
  /** Interned tag lists; index 0 is the empty list. */
  readonly #tagLists: (readonly string[])[];
  readonly #tagListIndex = new Map<string, number>();
  /** `originalCost` of reused entries, by entry index. */
  readonly #originalCosts = new Map<number, CostBreakdown>();
  /** Entries kept whole (a shape record() does not make), by entry index. */
  readonly #whole = new Map<number, LedgerEntry>();
  readonly #noTags: readonly string[];

  /** @param noTags the shared array an entry without tags is given */
  constructor(noTags: readonly string[]) {
    this.#noTags = noTags;
    this.#tagLists = [noTags];
  }

  get length(): number {
    return this.#length;
  }

  #intern(value: string | undefined): number {
    if (value === undefined) return 0;
    let code = this.#stringIndex.get(value);
    if (code === undefined) {
      code = this.#strings.length;
      this.#strings.push(value);
      this.#stringIndex.set(value, code);
    }
    return code;
  }

  #internTags(tags: readonly string[]): number {
    if (tags.length === 0) return 0;
    const key = JSON.stringify(tags);
    let code = this.#tagListIndex.get(key);
    if (code === undefined) {
      code = this.#tagLists.length;
      this.#tagLists.push(Object.freeze([...tags]));
      this.#tagListIndex.set(key, code);
    }
    return code;
  }

  #grow(): void {
    const capacity = Math.max(1024, this.#capacity * 2);
    const numbers = new Float64Array(capacity * NUMBERS);
    numbers.set(this.#numbers);
    const codes = new Uint32Array(capacity * CODES);
    codes.set(this.#codes);
    this.#numbers = numbers;
    this.#codes = codes;
    this.#capacity = capacity;
  }

  /** Appends an entry; returns its index. The object itself is not kept (unless its shape is unusual). */
  push(entry: LedgerEntry): number {
    // Its columns stay zero: every read of it goes to the object, a copy of
    // what was given, handed out as copies (as a packed entry is rebuilt).
    // Copied first: an entry that cannot be (a function in it) changes nothing.
    const whole = packable(entry) ? undefined : structuredClone(entry);
    if (this.#length === this.#capacity) this.#grow();
    const index = this.#length++;
    this.#ids.push(entry.id);
    this.#taskIds.push(entry.taskId);
    if (index === this.#sorted && (index === 0 || entry.timestamp >= this.timestamp(index - 1)))
      this.#sorted++;
    if (whole) {
      this.#whole.set(index, whole);
      this.#customIds.push(undefined);
      this.#requestIds.push(undefined);
      return index;
    }
    this.#customIds.push(entry.customId);
    this.#requestIds.push(entry.requestId);
    const numbers = this.#numbers;
    const n = index * NUMBERS;
    numbers[n + N_TIMESTAMP] = entry.timestamp;
    numbers[n + N_ATTEMPT] = entry.attempt;
    numbers[n + N_LATENCY] = entry.latencyMs;
    numbers[n + N_RETRIES] = entry.retries;
    for (let k = 0; k < USAGE_KEYS.length; k++)
      numbers[n + N_USAGE + k] = entry.usage[USAGE_KEYS[k]!];
    for (let k = 0; k < COST_KEYS.length; k++) numbers[n + N_COST + k] = entry.cost[COST_KEYS[k]!];
    numbers[n + N_RESERVED] = entry.reservedBound ?? 0;
    const codes = this.#codes;
    const c = index * CODES;
    codes[c + C_RUN] = this.#intern(entry.runId);
    codes[c + C_ROLE] = this.#intern(entry.role);
    codes[c + C_MODEL] = this.#intern(entry.model);
    codes[c + C_OUTCOME] = this.#intern(entry.outcome);
    codes[c + C_TIER] = this.#intern(entry.usage.serviceTier);
    codes[c + C_PARENT] = this.#intern(entry.parentTaskId);
    codes[c + C_BATCH] = this.#intern(entry.batchId);
    codes[c + C_TAGS] = this.#internTags(entry.tags);
    codes[c + C_FLAGS] =
      (entry.estimated ? F_ESTIMATED : 0) |
      (entry.reservedBound !== undefined ? F_RESERVED : 0) |
      (entry.reused ? F_REUSED : 0);
    if (entry.originalCost) this.#originalCosts.set(index, entry.originalCost);
    return index;
  }

  /** The entry kept whole (see push), else undefined: read it, do not hand it out (at() copies). */
  whole(index: number): LedgerEntry | undefined {
    return this.#whole.get(index);
  }

  /** The index of the entry with this id, searched from the newest (-1: none). */
  lastIndexOf(id: string): number {
    return this.#ids.lastIndexOf(id);
  }

  id(index: number): string {
    return this.#ids[index]!;
  }

  taskId(index: number): string {
    return this.#taskIds[index]!;
  }

  timestamp(index: number): number {
    const whole = this.#whole.get(index);
    if (whole) return whole.timestamp;
    return this.#numbers[index * NUMBERS + N_TIMESTAMP]!;
  }

  /** For a packed entry (not one kept whole). */
  runId(index: number): string | undefined {
    return this.#strings[this.#codes[index * CODES + C_RUN]!];
  }

  /** For a packed entry (not one kept whole). */
  role(index: number): string | undefined {
    return this.#strings[this.#codes[index * CODES + C_ROLE]!];
  }

  /** For a packed entry (not one kept whole). */
  model(index: number): string | undefined {
    return this.#strings[this.#codes[index * CODES + C_MODEL]!];
  }

  batchId(index: number): string | undefined {
    const whole = this.#whole.get(index);
    if (whole) return whole.batchId;
    return this.#strings[this.#codes[index * CODES + C_BATCH]!];
  }

  customId(index: number): string | undefined {
    const whole = this.#whole.get(index);
    if (whole) return whole.customId;
    return this.#customIds[index];
  }

  /** For a packed entry (not one kept whole). */
  hasTag(index: number, tag: string): boolean {
    return this.#tagLists[this.#codes[index * CODES + C_TAGS]!]!.includes(tag);
  }

  /** The entry at `index`, as a fresh object. */
  at(index: number): LedgerEntry {
    const whole = this.#whole.get(index);
    if (whole) return structuredClone(whole);
    const numbers = this.#numbers;
    const n = index * NUMBERS;
    const codes = this.#codes;
    const c = index * CODES;
    const strings = this.#strings;
    const tags = this.#tagLists[codes[c + C_TAGS]!]!;
    const entry: LedgerEntry = {
      id: this.#ids[index]!,
      timestamp: numbers[n + N_TIMESTAMP]!,
      runId: strings[codes[c + C_RUN]!]!,
      taskId: this.#taskIds[index]!,
      role: strings[codes[c + C_ROLE]!]! as LedgerEntry['role'],
      model: strings[codes[c + C_MODEL]!]!,
      attempt: numbers[n + N_ATTEMPT]!,
      tags: tags.length === 0 ? this.#noTags : [...tags],
      usage: {
        inputTokens: numbers[n + N_USAGE]!,
        outputTokens: numbers[n + N_USAGE + 1]!,
        cacheWrite5mTokens: numbers[n + N_USAGE + 2]!,
        cacheWrite1hTokens: numbers[n + N_USAGE + 3]!,
        cacheReadTokens: numbers[n + N_USAGE + 4]!,
        serviceTier: strings[codes[c + C_TIER]!]! as LedgerEntry['usage']['serviceTier'],
      },
      cost: {
        input: numbers[n + N_COST]!,
        output: numbers[n + N_COST + 1]!,
        cacheWrite: numbers[n + N_COST + 2]!,
        cacheRead: numbers[n + N_COST + 3]!,
        total: numbers[n + N_COST + 4]!,
      },
      latencyMs: numbers[n + N_LATENCY]!,
      retries: numbers[n + N_RETRIES]!,
      outcome: strings[codes[c + C_OUTCOME]!]! as LedgerEntry['outcome'],
    };
    const parent = strings[codes[c + C_PARENT]!];
    if (parent !== undefined) entry.parentTaskId = parent;
    const requestId = this.#requestIds[index];
    if (requestId !== undefined) entry.requestId = requestId;
    const batchId = strings[codes[c + C_BATCH]!];
    if (batchId !== undefined) entry.batchId = batchId;
    const customId = this.#customIds[index];
    if (customId !== undefined) entry.customId = customId;
    const flags = codes[c + C_FLAGS]!;
    if (flags & F_ESTIMATED) entry.estimated = true;
    if (flags & F_RESERVED) entry.reservedBound = numbers[n + N_RESERVED]!;
    if (flags & F_REUSED) entry.reused = true;
    const originalCost = this.#originalCosts.get(index);
    if (originalCost) entry.originalCost = { ...originalCost };
    return entry;
  }

  /**
   * Orders the entries by timestamp, stably, when they are not in order
   * already. Returns the first index whose entry may have moved (`length`
   * when none did), so a caller re-indexes only from there.
   *
   * Restored entries arrive appended after a sorted run of entries and
   * mostly belong near its end (a coordinator merges other processes'
   * entries every few hundred milliseconds), so only the range from the
   * first held entry newer than the oldest arrival is reordered, column by
   * column, without building entries as objects.
   */
  sortByTimestamp(): number {
    const length = this.#length;
    let unsorted = Math.max(1, this.#sorted);
    while (unsorted < length && this.timestamp(unsorted - 1) <= this.timestamp(unsorted))
      unsorted++;
    this.#sorted = length;
    if (unsorted >= length) return length;
    let oldest = Number.POSITIVE_INFINITY;
    for (let index = unsorted; index < length; index++)
      oldest = Math.min(oldest, this.timestamp(index));
    // [0, unsorted) is in order: find its first entry newer than `oldest`.
    let from = 0;
    let to = unsorted;
    while (from < to) {
      const middle = (from + to) >>> 1;
      if (this.timestamp(middle) <= oldest) from = middle + 1;
      else to = middle;
    }
    const count = length - from;
    const stamps = new Float64Array(count);
    for (let k = 0; k < count; k++) stamps[k] = this.timestamp(from + k);
    // order[k]: the offset (from `from`) of the entry that goes to from + k.
    const order = Uint32Array.from({ length: count }, (_, k) => k).sort(
      (a, b) => stamps[a]! - stamps[b]! || a - b,
    );
    this.#permute(from, order);
    return from;
  }

  /** Moves the entry at from + order[k] to from + k, for every column and map. */
  #permute(from: number, order: Uint32Array): void {
    const count = order.length;
    const numbers = this.#numbers.slice(from * NUMBERS, (from + count) * NUMBERS);
    const codes = this.#codes.slice(from * CODES, (from + count) * CODES);
    for (let k = 0; k < count; k++) {
      const old = order[k]!;
      this.#numbers.set(numbers.subarray(old * NUMBERS, (old + 1) * NUMBERS), (from + k) * NUMBERS);
      this.#codes.set(codes.subarray(old * CODES, (old + 1) * CODES), (from + k) * CODES);
    }
    const columns: (string | undefined)[][] = [
      this.#ids,
      this.#taskIds,
      this.#customIds,
      this.#requestIds,
    ];
    for (const column of columns) {
      const moved = column.slice(from);
      for (let k = 0; k < count; k++) column[from + k] = moved[order[k]!];
    }
    const newIndex = new Uint32Array(count);
    for (let k = 0; k < count; k++) newIndex[order[k]!] = from + k;
    for (const map of [this.#whole, this.#originalCosts] as Map<number, unknown>[]) {
      if (map.size === 0) continue;
      const moved = [...map].filter(([index]) => index >= from);
      for (const [index] of moved) map.delete(index);
      for (const [index, value] of moved) map.set(newIndex[index - from]!, value);
    }
  }
}
