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

/**
 * Makes a waiter whose promise settles once; an abort of the call's signal
 * rejects it at once (a batch request already sent still completes and is
 * recorded, but nobody waits for it). `onSettled` runs exactly once.
 */
export function createWaiter(
  init: {
    customId: string;
    request: GatewayRequest;
    attribution: Attribution;
    options: CallOptions | undefined;
    start: number;
  },
  onSettled: () => void,
): { waiter: BatchWaiter; promise: Promise<GatewayResponse> } {
  let resolvePromise!: (response: GatewayResponse) => void;
  let rejectPromise!: (error: unknown) => void;
  const promise = new Promise<GatewayResponse>((resolve, reject) => {
    resolvePromise = resolve;
    rejectPromise = reject;
  });
  const signal = init.options?.signal;
  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    signal?.removeEventListener('abort', onAbort);
    onSettled();
    return true;
  };
  const waiter: BatchWaiter = {
    ...init,
    get settled() {
      return settled;
    },
    resolve(response) {
      if (settle()) resolvePromise(response);
    },
    reject(error) {
      if (settle()) rejectPromise(error);
    },
  };
  function onAbort(): void {
    waiter.reject(new AbortError(undefined, { cause: signal?.reason }));
  }
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return { waiter, promise };
}
