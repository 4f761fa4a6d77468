import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages/messages';
import { ArmyError, ERROR_CODES } from '../errors.js';

/** A synthetic event: the attempt failed after events were delivered and a new attempt starts from scratch. */
export interface StreamRetryEvent {
  type: 'retry';
  /** The attempt that failed. */
  attempt: number;
  delayMs: number;
  reason: string;
}

/** What a gateway stream yields: the API's raw events, plus `retry` markers. */
export type GatewayStreamEvent = RawMessageStreamEvent | StreamRetryEvent;

/**
 * A push-to-pull buffer: the gateway pushes events as they arrive, a
 * consumer pulls them with `for await`. Unconsumed events are kept, so a
 * caller that only awaits the result loses nothing.
 */
export class EventBuffer<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #failed: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;

  push(item: T): void {
    if (this.#ended) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      this.#failed = undefined;
      resolve({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (this.#waiting) {
      const resolve = this.#waiting;
      const reject = this.#failed;
      this.#waiting = undefined;
      this.#failed = undefined;
      if (error !== undefined && reject) reject(error);
      else resolve({ value: undefined, done: true });
    }
  }

  #iterating = false;

  /**
   * One consumer at a time. Leaving a `for await` early stops buffering;
   * the call itself still completes and is billed (await `result`).
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) {
      throw new ArmyError(
        ERROR_CODES.INVALID_STATE,
        'This gateway stream is already being iterated; iterate it once, or await `result`.',
      );
    }
    this.#iterating = true;
    return {
      next: () => {
        if (this.#items.length > 0)
          return Promise.resolve({ value: this.#items.shift() as T, done: false });
        if (this.#ended) {
          return this.#error === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.#error);
        }
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          this.#waiting = resolve;
          this.#failed = reject;
        });
      },
      return: () => {
        this.#items.length = 0;
        this.#ended = true;
        this.#error = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
