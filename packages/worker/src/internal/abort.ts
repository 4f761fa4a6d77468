import { setMaxListeners } from 'node:events';
import { AbortError } from '@haiku-army/core';

/** Throws core's AbortError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/**
 * Resolves with `promise`, or rejects with AbortError as soon as `signal`
 * fires, so a piece of work that ignores its signal cannot hold up its caller.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(new AbortError(undefined, { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A controller that aborts when any of the given signals aborts, with that
 * signal's reason. `dispose()` detaches it from the parents.
 */
export function linkedController(...signals: (AbortSignal | undefined)[]): {
  controller: AbortController;
  dispose(): void;
} {
  const controller = new AbortController();
  // Every concurrent tool call of a turn listens on this internal signal,
  // and removes its listener when it ends: many at once is not a leak.
  setMaxListeners(0, controller.signal);
  const cleanups: (() => void)[] = [];
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
  }
  return {
    controller,
    dispose: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}
