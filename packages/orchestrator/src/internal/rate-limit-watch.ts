import type { ArmyEvents, Attribution, CallEndEvent, CallRetryEvent } from '@haiku-army/core';

function callKey(attribution: Attribution): string {
  return `${attribution.runId}\n${attribution.taskId}\n${attribution.attempt ?? 1}`;
}

/**
 * Watches the gateway's events for calls held back by 429s: a model is
 * rate-limited while one of its calls is waiting to retry after a 429, since
 * the first 429 of the longest-waiting such call.
 */
export class RateLimitWatch {
  readonly #events: ArmyEvents;
  readonly #now: () => number;
  /** Calls waiting after a 429: key -> model and since when. */
  readonly #waiting = new Map<string, { model: string; since: number }>();

  constructor(events: ArmyEvents, now: () => number) {
    this.#events = events;
    this.#now = now;
    events.on('call:retry', this.#onRetry);
    events.on('call:end', this.#onEnd);
  }

  readonly #onRetry = (event: CallRetryEvent): void => {
    const key = callKey(event.attribution);
    if (event.status === 429 && !this.#waiting.has(key))
      this.#waiting.set(key, { model: event.model, since: this.#now() });
  };

  readonly #onEnd = (event: CallEndEvent): void => {
    this.#waiting.delete(callKey(event.attribution));
  };

  /** How long `model` has been rate-limited, ms (0 when no call of it is waiting after a 429). */
  limitedFor(model: string): number {
    let since: number | undefined;
    for (const waiting of this.#waiting.values())
      if (waiting.model === model && (since === undefined || waiting.since < since))
        since = waiting.since;
    return since === undefined ? 0 : this.#now() - since;
  }

  /** Whether any call of `model` is waiting after a 429. */
  isLimited(model: string): boolean {
    for (const waiting of this.#waiting.values()) if (waiting.model === model) return true;
    return false;
  }

  /** Stops listening. */
  close(): void {
    this.#events.off('call:retry', this.#onRetry);
    this.#events.off('call:end', this.#onEnd);
  }
}
