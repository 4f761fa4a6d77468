/**
 * A bounded first-in, first-out queue.
 */

/** How many items a queue holds unless told otherwise. */
export const DEFAULT_CAPACITY = 16;

/** A FIFO queue that refuses items beyond its capacity. */
export class BoundedQueue<T> {
  readonly #items: T[] = [];

  constructor(readonly capacity: number = DEFAULT_CAPACITY) {}

  /** Adds an item; false when the queue is full. */
  push(item: T): boolean {
    if (this.#items.length >= this.capacity) return false;
    this.#items.push(item);
    return true;
  }

  /** Takes the oldest item, or undefined when empty. */
  shift(): T | undefined {
    return this.#items.shift();
  }

  get size(): number {
    return this.#items.length;
  }
}
