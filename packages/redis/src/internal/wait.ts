import { sleep } from '@haiku-army/core/internal';

/** Sleeps `ms`, or rejects with AbortError when `signal` aborts first (core's own). */
export const wait = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, signal);

/** Tracks fire-and-forget writes, so a caller can wait for them (and hear of the first failure). */
export class PendingWrites {
  readonly #pending = new Set<Promise<unknown>>();
  #failure: unknown;

  add(write: Promise<unknown>): void {
    const tracked = write
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Waits for every write; throws the first that failed since the last flush. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined) throw failure;
  }
}
