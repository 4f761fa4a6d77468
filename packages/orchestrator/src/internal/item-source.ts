import { invalidOption } from '@haiku-army/core';

/** What `map` accepts as its items: an array, or any sync or async iterable (a readline interface, a generator). */
export type MapItems<TItem> = readonly TItem[] | Iterable<TItem> | AsyncIterable<TItem>;

/** One chunk read from an {@link ItemSource}. */
export interface ItemChunk<TItem> {
  /** Index of the chunk's first item in the whole source. */
  from: number;
  items: TItem[];
  /** Whether the source has no item after these. */
  end: boolean;
}

/** Whether `value` is iterable, sync or async (a string is not taken as a list of characters). */
export function isItemIterable(
  value: unknown,
): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof candidate[Symbol.asyncIterator] === 'function' ||
    typeof candidate[Symbol.iterator] === 'function'
  );
}

/**
 * Reads a streamed map's items lazily, a chunk at a time, with one item of
 * look-ahead so a chunk knows whether it is the last. Only the chunk being
 * read is held; the iterator is closed (`return()`) when the run stops early.
 */
export class ItemSource<TItem> {
  readonly #iterator: Iterator<TItem> | AsyncIterator<TItem>;
  #ahead: { item: TItem } | undefined;
  #done = false;
  /** Items read so far (the index of the next). */
  #read = 0;

  constructor(items: Iterable<TItem> | AsyncIterable<TItem>) {
    const asynchronous = (items as AsyncIterable<TItem>)[Symbol.asyncIterator];
    this.#iterator =
      typeof asynchronous === 'function'
        ? asynchronous.call(items)
        : (items as Iterable<TItem>)[Symbol.iterator]();
  }

  /** Items read so far. */
  get position(): number {
    return this.#read - (this.#ahead ? 1 : 0);
  }

  async #pull(): Promise<{ item: TItem } | undefined> {
    if (this.#ahead) {
      const ahead = this.#ahead;
      this.#ahead = undefined;
      return ahead;
    }
    if (this.#done) return undefined;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return undefined;
    }
    this.#read += 1;
    return { item: next.value };
  }

  /**
   * Skips the first `count` items (those a resumed run read before),
   * handing each to `check` with its index.
   * @throws ArmyError `INVALID_OPTIONS` when the source holds fewer
   */
  async skip(count: number, check: (item: TItem, index: number) => void): Promise<void> {
    for (let index = this.position; index < count; index++) {
      const pulled = await this.#pull();
      if (!pulled)
        throw invalidOption(
          'items',
          `the same items the run read (at least ${count}; a resumed streamed map skips those it read before)`,
          `an iterable that ended after ${index}`,
        );
      check(pulled.item, index);
    }
  }

  /** The next chunk of up to `size` items. */
  async next(size: number): Promise<ItemChunk<TItem>> {
    const from = this.position;
    const items: TItem[] = [];
    while (items.length < size) {
      const pulled = await this.#pull();
      if (!pulled) return { from, items, end: true };
      items.push(pulled.item);
    }
    const ahead = await this.#pull();
    this.#ahead = ahead;
    return { from, items, end: ahead === undefined };
  }

  /** Closes the iterator early (a stopped run): a file stream releases its handle. */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#iterator.return?.();
  }
}
