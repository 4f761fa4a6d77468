/**
 * Where the scheduler keeps subtasks whose dependencies have finished until
 * a worker slot is free. The in-process queue is a FIFO; a durable queue on
 * an external engine can implement the same interface (every method may
 * return a promise) and be passed as `createArmy({ readyQueue })`.
 */
export interface ReadyQueue {
  /** Adds a ready subtask (by id). */
  push(subtaskId: string): void | Promise<void>;
  /** Takes the next ready subtask id, or undefined when none is waiting. */
  shift(): string | undefined | Promise<string | undefined>;
  /** Removes and returns every waiting id (on cancellation or fail-fast). */
  drain(): string[] | Promise<string[]>;
}

/** A factory of ready queues, one per run. */
export type ReadyQueueFactory = (runId: string) => ReadyQueue;

/** The default in-process FIFO {@link ReadyQueue}. */
export class InProcessReadyQueue implements ReadyQueue {
  readonly #items: string[] = [];
  #head = 0;

  push(subtaskId: string): void {
    this.#items.push(subtaskId);
  }

  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    // Compact now and then so a long run does not keep every id.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  drain(): string[] {
    const rest = this.#items.slice(this.#head);
    this.#items.length = 0;
    this.#head = 0;
    return rest;
  }

  /** Ids waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }
}
