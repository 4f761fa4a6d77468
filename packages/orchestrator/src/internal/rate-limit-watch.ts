import type { ArmyEvents, CallEndEvent, CallRetryEvent } from '@haiku-army/core';

/**
 * Watches the gateway's events for models that keep answering 429: a model
 * is rate-limited from its first 429 until one of its calls succeeds.
 */
export class RateLimitWatch {
  readonly #events: ArmyEvents;
  readonly #now: () => number;
  readonly #since = new Map<string, number>();

  constructor(events: ArmyEvents, now: () => number) {
    this.#events = events;
    this.#now = now;
    events.on('call:retry', this.#onRetry);
    events.on('call:end', this.#onEnd);
  }

  readonly #onRetry = (event: CallRetryEvent): void => {
    if (event.status === 429 && !this.#since.has(event.model))
      this.#since.set(event.model, this.#now());
  };

  readonly #onEnd = (event: CallEndEvent): void => {
    if (event.outcome === 'success') this.#since.delete(event.model);
  };

  /** How long `model` has been rate-limited without a success, ms (0 when it is not). */
  limitedFor(model: string): number {
    const since = this.#since.get(model);
    return since === undefined ? 0 : this.#now() - since;
  }

  /** Stops listening. */
  close(): void {
    this.#events.off('call:retry', this.#onRetry);
    this.#events.off('call:end', this.#onEnd);
  }
}
