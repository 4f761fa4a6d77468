import { AbortError } from '@haiku-army/core';

/**
 * Lets one run's first call through and holds every other run's first call
 * until that call has its response: the API makes a cache entry readable
 * only once the response that wrote it has begun, so N workers started
 * together would otherwise all pay for writing the same prefix.
 *
 * If the warming call fails (no response), the next waiter becomes the warmer.
 */
export class CacheWarmer {
  #state: 'cold' | 'warming' | 'warm' = 'cold';
  readonly #waiters = new Set<() => void>();

  /** Whether a first call has had its response. */
  get warm(): boolean {
    return this.#state === 'warm';
  }

  /** Waits for this run's turn; resolves with the callback to report the first call's fate. */
  async acquire(signal: AbortSignal): Promise<(responded: boolean) => void> {
    for (;;) {
      if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (this.#state === 'warm') return () => {};
      if (this.#state === 'cold') {
        this.#state = 'warming';
        let reported = false;
        return (responded) => {
          if (reported) return;
          reported = true;
          this.#state = responded ? 'warm' : 'cold';
          this.#wakeAll();
        };
      }
      await this.#wait(signal);
    }
  }

  #wait(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(new AbortError(undefined, { cause: signal.reason }));
      };
      this.#waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
