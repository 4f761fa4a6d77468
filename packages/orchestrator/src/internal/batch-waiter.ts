import {
  AbortError,
  type Attribution,
  type CallOptions,
  type GatewayRequest,
  type GatewayResponse,
} from '@haiku-army/core';

/** One worker call waiting on the batch collector for its response. */
export interface BatchWaiter {
  readonly customId: string;
  readonly request: GatewayRequest;
  readonly attribution: Attribution;
  readonly options: CallOptions | undefined;
  /** When the call was made (the army's clock). */
  readonly start: number;
  /** True once resolved or rejected (or its caller gave up). */
  readonly settled: boolean;
  resolve(response: GatewayResponse): void;
  reject(error: unknown): void;
}

/** What a {@link Waiter} is made from. */
interface WaiterInit {
  customId: string;
  request: GatewayRequest;
  attribution: Attribution;
  options: CallOptions | undefined;
  start: number;
}

/**
 * A class, not an object literal with a getter and closures: a chunk holds
 * up to 100,000 waiters at once, and a literal's per-object accessor gives
 * each its own hidden class (several hundred bytes more apiece).
 */
class Waiter implements BatchWaiter {
  readonly customId: string;
  readonly request: GatewayRequest;
  readonly attribution: Attribution;
  readonly options: CallOptions | undefined;
  readonly start: number;
  readonly promise: Promise<GatewayResponse>;
  #settled = false;
  #resolve!: (response: GatewayResponse) => void;
  #reject!: (error: unknown) => void;
  readonly #onSettled: () => void;
  readonly #onAbort: (() => void) | undefined;

  constructor(init: WaiterInit, onSettled: () => void, listen: boolean) {
    this.customId = init.customId;
    this.request = init.request;
    this.attribution = init.attribution;
    this.options = init.options;
    this.start = init.start;
    this.#onSettled = onSettled;
    this.promise = new Promise<GatewayResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const signal = init.options?.signal;
    if (!signal || !listen) return;
    this.#onAbort = () => this.reject(new AbortError(undefined, { cause: signal.reason }));
    if (signal.aborted) this.#onAbort();
    else signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  get settled(): boolean {
    return this.#settled;
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#onAbort) this.options?.signal?.removeEventListener('abort', this.#onAbort);
    this.#onSettled();
    return true;
  }

  resolve(response: GatewayResponse): void {
    if (this.#settle()) this.#resolve(response);
  }

  reject(error: unknown): void {
    if (this.#settle()) this.#reject(error);
  }
}

/**
 * Makes a waiter whose promise settles once; an abort of the call's signal
 * rejects it at once (a batch request already sent still completes and is
 * recorded, but nobody waits for it), unless `listen` is false (the caller
 * rejects it on abort itself: one listener for many waiters). `onSettled`
 * runs exactly once.
 */
export function createWaiter(
  init: WaiterInit,
  onSettled: () => void,
  { listen = true }: { listen?: boolean } = {},
): { waiter: BatchWaiter; promise: Promise<GatewayResponse> } {
  const waiter = new Waiter(init, onSettled, listen);
  return { waiter, promise: waiter.promise };
}
