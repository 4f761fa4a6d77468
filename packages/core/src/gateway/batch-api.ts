import type Anthropic from '@anthropic-ai/sdk';
import type { Budget } from '../budget.js';
import type { ModelCatalog } from '../catalog/model-catalog.js';
import { AbortError, type ApiCallError, ArmyError } from '../errors.js';
import type { ArmyEvents } from '../events.js';
import type { CostLedger } from '../ledger/cost-ledger.js';
import type { GatewayRequest } from './gateway.js';
import {
  type BackoffOptions,
  backoffDelay,
  classifyFailure,
  type FailureInfo,
} from './retry-policy.js';

/** What the batch runner borrows from its gateway: the client, money, events and retry rules. */
export interface BatchContext {
  client: Anthropic;
  catalog: ModelCatalog;
  ledger: CostLedger;
  budget: Budget | undefined;
  events: ArmyEvents;
  now: () => number;
  /** The gateway's (standard-tier) worst case of a request, nano-USD. */
  worstCase: (request: GatewayRequest) => number;
  /** Per-request SDK options: the signal, `maxRetries: 0`, the timeout. */
  requestOptions: (signal: AbortSignal) => {
    signal?: AbortSignal;
    maxRetries: number;
    timeout?: number;
  };
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Builds the gateway's error for a call that failed for good. */
  apiError: (failure: FailureInfo, attempts: number, cause: unknown) => ApiCallError;
}

/** Waits `ms`, or rejects with AbortError when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(undefined, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(undefined, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options for {@link withRetries}. */
export interface RetryOptions {
  signal?: AbortSignal | undefined;
  /**
   * Retry failures without an HTTP status (connection errors). Off for
   * creating a batch: the API may have created it before the connection
   * dropped, and a second create would be billed twice.
   * @default true
   */
  retryWithoutStatus?: boolean;
  /** Attempts, including the first. @default the gateway's maxAttempts */
  maxAttempts?: number;
}

/**
 * One SDK call with the gateway's retry rules: 408/409/429/5xx/529 and
 * connection errors are retried with backoff that honours `retry-after`,
 * anything else fails at once with the gateway's `ApiCallError`.
 */
export async function withRetries<T>(
  context: BatchContext,
  send: (requestOptions: ReturnType<BatchContext['requestOptions']>) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { signal } = options;
  const maxAttempts = options.maxAttempts ?? context.maxAttempts;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    try {
      return await send(context.requestOptions(signal ?? new AbortController().signal));
    } catch (error) {
      if (error instanceof ArmyError) throw error;
      const failure = classifyFailure(error, signal, context.now());
      if (failure.aborted) throw new AbortError(undefined, { cause: error });
      const retryable =
        failure.retryable && (options.retryWithoutStatus !== false || failure.status !== undefined);
      if (!retryable || attempt >= maxAttempts) throw context.apiError(failure, attempt, error);
      await sleep(backoffDelay(attempt, failure, context.backoff), signal);
    }
  }
}
