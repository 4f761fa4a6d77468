import Anthropic from '@anthropic-ai/sdk';
import type {
  Message,
  MessageCountTokensParams,
  MessageCreateParamsNonStreaming,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { Attribution } from '../attribution.js';
import type { Budget, Reservation } from '../budget.js';
import { defaultCatalog, type ModelCatalog } from '../catalog/model-catalog.js';
import type { ModelInfo, ModelTier } from '../catalog/model-info.js';
import {
  COUNT_CACHE_SIZE,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_MIN_OUTPUT_TOKENS,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
} from '../constants.js';
import { type CostBreakdown, costOf, type NormalizedUsage, normalizeUsage } from '../cost.js';
import {
  AbortError,
  ApiCallError,
  ArmyError,
  ERROR_CODES,
  invalidOption,
  MissingApiKeyError,
} from '../errors.js';
import { type ArmyEvents, createEvents } from '../events.js';
import { CostLedger } from '../ledger/cost-ledger.js';
import type { LedgerEntry, LedgerOutcome } from '../ledger/ledger-entry.js';
import type { RateLimiter, RateLimitTicket } from '../rate-limiter.js';
import { estimateRequestTokens } from '../token-estimate.js';
import { sleep } from './batch-api.js';
import type {
  BatchItem,
  BatchOptions,
  BatchRun,
  ReconcileBatchOptions,
  ResumeBatchOptions,
} from './batch-types.js';
import { reserveCall, unboundedCost } from './call-reservation.js';
import { CountCache, countParamsOf } from './count-cache.js';
import { BatchRunner } from './gateway-batch.js';
import { EventBuffer, type GatewayStreamEvent } from './gateway-stream.js';
import { inputBound } from './input-bound.js';
import { recordMaybeBilled } from './maybe-billed.js';
import type { BatchGateway } from './model-gateway.js';
import {
  backoffDelay,
  classifyFailure,
  type FailureInfo,
  ResponseLostError,
} from './retry-policy.js';
import { recordAbortedStream, StreamUsageTracker } from './stream-abort.js';
import { worstCaseCost } from './worst-case.js';

/**
 * The largest max_tokens the SDK sends without streaming: it refuses a
 * request whose expected time (an hour per 128K output tokens) is over 10 minutes.
 */
const NONSTREAMING_MAX_TOKENS = Math.floor((10 * 128_000) / 60);

/** Options for {@link createGateway}. */
export interface GatewayOptions {
  /** An Anthropic client. Its own retries are bypassed (`maxRetries: 0` per request). */
  client?: Anthropic;
  /** Used to build a client when `client` is not given. @default process.env.ANTHROPIC_API_KEY */
  apiKey?: string;
  /** Used to build a client when `client` is not given (e.g. the fake API's URL). */
  baseURL?: string;
  /** A `fetch` for the built client (tests, proxies). */
  fetch?: typeof fetch;
  /** Records every billed call. @default a new in-memory CostLedger */
  ledger?: CostLedger;
  /** Hard caps; every call reserves its worst case here first. */
  budget?: Budget;
  /** Per-model request and token limits. */
  rateLimiter?: RateLimiter;
  /** Where `call:*` events go. @default a new emitter (see `gateway.events`) */
  events?: ArmyEvents;
  /** Prices and model ids. @default the default catalog */
  catalog?: ModelCatalog;
  /** Attempts per call, including the first. @default 6 */
  maxAttempts?: number;
  /** First backoff step, ms (doubles each retry, with jitter). @default 500 */
  retryBaseDelayMs?: number;
  /** Longest backoff step, ms (a server `retry-after` is honoured beyond it). @default 30000 */
  retryMaxDelayMs?: number;
  /** Longest server `retry-after` honoured, ms; a longer one is cut to this. @default 60000 */
  maxRetryAfterMs?: number;
  /**
   * When a call's `max_tokens` does not fit the budget even with nothing
   * else in flight, the gateway lowers it to what fits, but not below this
   * (the call is refused instead). The request sent carries the lowered value.
   * @default 256
   */
  minOutputTokens?: number;
  /** Per-attempt timeout passed to the SDK, ms. @default the SDK's */
  timeoutMs?: number;
  /**
   * How the budget reservation counts input tokens: `upper-bound` (UTF-8
   * bytes, never under) keeps hard caps hard; `estimate` (heuristic) reserves
   * less and may let a cap be overrun by the estimate's error.
   * @default 'upper-bound'
   */
  reservation?: 'upper-bound' | 'estimate';
  /** @default Math.random */
  random?: () => number;
  /** @default Date.now */
  now?: () => number;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The name of the output allowance in budget errors, as the caller knows
   * it (a worker pool passes `'limits.maxOutputTokens'`).
   * @default 'max_tokens'
   */
  maxTokensLabel?: string;
}

/** A billed, successful call. */
export interface GatewayResponse {
  message: Message;
  /** The ledger entry recorded for it. */
  entry: LedgerEntry;
  cost: CostBreakdown;
  /** Attempts made, including the successful one. */
  attempts: number;
  requestId?: string;
  latencyMs: number;
  /** The `max_tokens` sent, when the budget made the gateway lower it. */
  loweredMaxTokens?: number;
}

/** A streaming call: iterate its events, await its result. */
export interface GatewayStream extends AsyncIterable<GatewayStreamEvent> {
  /** Resolves once the message is complete and billed. */
  readonly result: Promise<GatewayResponse>;
  /** The final message (same as `(await result).message`). */
  finalMessage(): Promise<Message>;
}

/** A request to the gateway: the SDK's non-streaming create params. */
export type GatewayRequest = MessageCreateParamsNonStreaming;

interface AttemptOutcome {
  message: Message;
  headers: Headers | undefined;
  requestId: string | undefined;
}

/** An attempt that got its message, with the usage normalized once for the limiter and the ledger. */
interface Answered extends AttemptOutcome {
  usage: NormalizedUsage;
}

/** Sends one attempt; `signal` is undefined when the caller gave none (nothing can abort it). */
type Sender = (
  request: GatewayRequest,
  signal: AbortSignal | undefined,
  attempt: number,
) => Promise<AttemptOutcome>;

/** The caller's signal forwarded to a controller of the call's own. */
interface LinkedSignal {
  caller: AbortSignal;
  signal: AbortSignal;
  dispose(): void;
}

function linkSignal(caller: AbortSignal): LinkedSignal {
  const controller = new AbortController();
  const forward = () => controller.abort(caller.reason);
  if (caller.aborted) forward();
  else caller.addEventListener('abort', forward, { once: true });
  return {
    caller,
    signal: controller.signal,
    dispose: () => caller.removeEventListener('abort', forward),
  };
}

/** True when the SDK can find credentials (it reads these itself). */
function hasCredentials(options: GatewayOptions): boolean {
  const env = typeof process === 'undefined' ? {} : process.env;
  return Boolean(options.apiKey || env.ANTHROPIC_API_KEY || env.ANTHROPIC_AUTH_TOKEN);
}

function validateAttribution(attribution: Attribution): void {
  if (!attribution || typeof attribution !== 'object') {
    throw invalidOption('attribution', 'an object { runId, taskId, role }', attribution);
  }
  for (const key of ['runId', 'taskId', 'role'] as const) {
    if (typeof attribution[key] !== 'string' || attribution[key].length === 0) {
      throw invalidOption(`attribution.${key}`, 'a non-empty string', attribution[key]);
    }
  }
}

function outcomeOf(message: Message): LedgerOutcome {
  if (message.stop_reason === 'max_tokens') return 'max_tokens';
  if (message.stop_reason === 'refusal') return 'refusal';
  return 'success';
}

/**
 * The one door to the Anthropic API. Every call: reserve its worst case
 * against the budget, wait for the rate limiter, call the SDK (its own
 * retries off), retry transient failures with backoff that honours
 * `retry-after`, record the real usage in the ledger, settle the budget and
 * emit `call:end`. Attempts the API did not bill are never billed here.
 */
export class Gateway implements BatchGateway {
  /** The SDK client; `undefined` when there is no key (every call then fails with `MISSING_API_KEY`). */
  readonly #client: Anthropic | undefined;
  readonly ledger: CostLedger;
  readonly events: ArmyEvents;
  readonly catalog: ModelCatalog;
  readonly budget: Budget | undefined;
  readonly rateLimiter: RateLimiter | undefined;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #minOutputTokens: number;
  readonly #counts = new CountCache(COUNT_CACHE_SIZE);
  readonly #timeoutMs: number | undefined;
  readonly #reservation: 'upper-bound' | 'estimate';
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(options: GatewayOptions = {}) {
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw invalidOption('maxAttempts', 'an integer >= 1', maxAttempts);
    if (
      options.reservation !== undefined &&
      options.reservation !== 'upper-bound' &&
      options.reservation !== 'estimate'
    ) {
      throw invalidOption('reservation', "'upper-bound' or 'estimate'", options.reservation);
    }
    const minOutputTokens = options.minOutputTokens ?? DEFAULT_MIN_OUTPUT_TOKENS;
    if (!Number.isInteger(minOutputTokens) || minOutputTokens < 1)
      throw invalidOption('minOutputTokens', 'an integer >= 1', minOutputTokens);
    const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    if (!Number.isFinite(maxRetryAfterMs) || maxRetryAfterMs < 0)
      throw invalidOption('maxRetryAfterMs', 'a number of ms >= 0', maxRetryAfterMs);
    this.#client =
      options.client ??
      (hasCredentials(options)
        ? new Anthropic({
            ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
            ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
            ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
            maxRetries: 0,
          })
        : undefined);
    this.#minOutputTokens = minOutputTokens;
    this.#maxRetryAfterMs = maxRetryAfterMs;
    this.catalog = options.catalog ?? defaultCatalog;
    this.ledger = options.ledger ?? new CostLedger({ catalog: this.catalog });
    this.events = options.events ?? createEvents();
    this.budget = options.budget;
    this.budget?.attachEvents(this.events);
    this.rateLimiter = options.rateLimiter;
    this.#maxAttempts = maxAttempts;
    this.#baseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    this.#maxDelayMs = options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS;
    this.#timeoutMs = options.timeoutMs;
    this.#reservation = options.reservation ?? 'upper-bound';
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** The SDK client. @throws MissingApiKeyError when the gateway has no way to authenticate. */
  #sdk(): Anthropic {
    if (!this.#client) throw new MissingApiKeyError();
    return this.#client;
  }

  #requestOptions(signal: AbortSignal | undefined) {
    return {
      // No signal when the caller gave none: the SDK then keeps no listener anywhere.
      ...(signal ? { signal } : {}),
      maxRetries: 0,
      ...(this.#timeoutMs !== undefined ? { timeout: this.#timeoutMs } : {}),
    };
  }

  /**
   * The worst-case cost of a request before any tightening, nano-USD: its
   * input bound (or its cached exact count, for documents) at the dearest
   * price, plus `max_tokens` of output. A call reserves at most this.
   * @throws ArmyError `UNBOUNDED_COST` for server tools, or a document not yet counted (`await countTokens(request)` first).
   */
  worstCase(request: GatewayRequest): number {
    const model = this.catalog.get(request.model);
    return worstCaseCost(model, request, this.#inputTokens(request, model.tier));
  }

  #inputTokens(request: GatewayRequest, tier: ModelTier): number {
    if (this.#reservation === 'estimate') return estimateRequestTokens(request, tier);
    const bound = inputBound(request);
    if (bound.unbounded !== undefined) throw unboundedCost(bound.unbounded);
    if (bound.needsCount === undefined) return bound.tokens;
    const counted = this.#counts.get(CountCache.keyOf(countParamsOf(request)));
    if (counted !== undefined) return counted;
    throw new ArmyError(
      ERROR_CODES.UNBOUNDED_COST,
      `This request has ${bound.needsCount}, whose billed input its JSON does not show; \`await gateway.countTokens(request)\` first (the gateway keeps the count), or let \`call()\` count it.`,
    );
  }

  /** The exact input of a request, from the cache or `count_tokens`. */
  #count(request: GatewayRequest, signal: AbortSignal | undefined): Promise<number> {
    return this.countTokens(countParamsOf(request), signal ? { signal } : {});
  }

  /**
   * Sends one Messages request and returns the billed response.
   *
   * @example
   * const { message, cost } = await gateway.call(
   *   { model: 'claude-haiku-5-5', max_tokens: 512, messages: [{ role: 'user', content: 'Hi' }] },
   *   { runId: 'run-1', taskId: 'task-1', role: 'worker' },
   * );
   */
  call(
    request: GatewayRequest,
    attribution: Attribution,
    options: CallOptions = {},
  ): Promise<GatewayResponse> {
    // The SDK refuses a non-streaming request that may run over 10 minutes
    // (max_tokens above ~21K): send those as a stream, billed the same way.
    if (Number.isInteger(request?.max_tokens) && request.max_tokens > NONSTREAMING_MAX_TOKENS)
      return this.stream(request, attribution, options).result;
    return this.#run(request, attribution, options, async (sent, signal) => {
      // The SDK has checked the status by the time it hands over the
      // response; reading the body ourselves tells a body lost after a 2xx
      // (billed by the API) from a failure before any answer.
      const response = await this.#sdk()
        .messages.create({ ...sent, stream: false }, this.#requestOptions(signal))
        .asResponse();
      const requestId = response.headers.get('request-id') ?? undefined;
      let message: Message;
      try {
        message = (await response.json()) as Message;
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new ResponseLostError(response.status, requestId, { cause: error });
      }
      return { message, headers: response.headers, requestId };
    });
  }

  /**
   * Sends one streaming Messages request. Iterate it for the API's raw events
   * (a `retry` event marks a restart from scratch after a failed attempt);
   * `result` resolves once the message is complete and billed.
   */
  stream(
    request: GatewayRequest,
    attribution: Attribution,
    options: CallOptions = {},
  ): GatewayStream {
    const buffer = new EventBuffer<GatewayStreamEvent>();
    // What the current attempt has received, for a caller abort after message_start.
    const tracker = new StreamUsageTracker();
    const result = this.#run(
      request,
      attribution,
      options,
      async (sent, signal) => {
        tracker.reset();
        const stream = this.#sdk().messages.stream(sent, this.#requestOptions(signal));
        for await (const event of stream) {
          tracker.observe(event);
          buffer.push(event);
        }
        const message = await stream.finalMessage();
        return {
          message,
          headers: stream.response?.headers,
          requestId: stream.request_id ?? undefined,
        };
      },
      (retry) => {
        tracker.reset();
        buffer.push({ type: 'retry', ...retry });
      },
      (model) => tracker.usage(model),
    );
    result.then(
      () => buffer.end(),
      (error) => buffer.end(error),
    );
    // The buffer rethrows the error to iterating consumers; this keeps an
    // unobserved `result` from being reported as an unhandled rejection twice.
    result.catch(() => {});
    return {
      result,
      finalMessage: async () => (await result).message,
      [Symbol.asyncIterator]: () => buffer[Symbol.asyncIterator](),
    };
  }

  /**
   * Sends requests as Message Batches at the batch tier (50%). Validates every
   * item and reserves the whole batch's worst case at batch prices first
   * (throws before sending anything); iterate the run for outcomes as results
   * arrive, or await `result`. See `BatchOptions` and the README.
   */
  batch(items: readonly BatchItem[], options: BatchOptions = {}): BatchRun {
    return this.#batchRunner().run(items, options);
  }

  /**
   * Collects the results of a batch submitted earlier (`onSubmitted`
   * persisted its ids) without resubmitting anything.
   */
  resumeBatch(
    batchId: string,
    attributionsByCustomId:
      | Readonly<Record<string, Attribution>>
      | ReadonlyMap<string, Attribution>,
    options: ResumeBatchOptions = {},
  ): BatchRun {
    return this.#batchRunner().resume(batchId, attributionsByCustomId, options);
  }

  /**
   * Finds the batch of a create whose id was never persisted (a process died
   * after `onCreating` and before `onSubmitted`) and collects it, so nothing
   * is created twice. Lists the API's batches created since `options.since`
   * (less a clock-skew margin) that hold exactly as many requests and are not
   * excluded or already known to this gateway, adopts them (results matched by
   * custom id; foreign lines ignored) and polls them like `resumeBatch`. What
   * no candidate held comes back `not_submitted` (never sent: send it again).
   * The run rejects when the list fails (nothing can be told).
   */
  reconcileBatch(
    attributionsByCustomId:
      | Readonly<Record<string, Attribution>>
      | ReadonlyMap<string, Attribution>,
    options: ReconcileBatchOptions,
  ): BatchRun {
    return this.#batchRunner().reconcile(attributionsByCustomId, options);
  }

  #batches: BatchRunner | undefined;
  #batchRunner(): BatchRunner {
    this.#batches ??= new BatchRunner({
      client: this.#sdk(),
      catalog: this.catalog,
      ledger: this.ledger,
      budget: this.budget,
      events: this.events,
      now: this.#now,
      worstCase: (request) => this.worstCase(request),
      requestOptions: (signal) => this.#requestOptions(signal),
      maxAttempts: this.#maxAttempts,
      backoff: {
        baseDelayMs: this.#baseDelayMs,
        maxDelayMs: this.#maxDelayMs,
        maxRetryAfterMs: this.#maxRetryAfterMs,
        random: this.#random,
      },
      apiError: (failure, attempts, cause) => this.#apiError(failure, attempts, cause),
    });
    return this.#batches;
  }

  /**
   * like `call`. Counts are cached per identical prompt (a bounded cache), so
   * the budget's exact counts and yours share one request.
   */
  async countTokens(request: MessageCountTokensParams, options: CallOptions = {}): Promise<number> {
    this.catalog.get(request.model);
    const client = this.#sdk();
    const params = countParamsOf(request);
    const { signal } = options;
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    // One count per prompt is shared by concurrent callers, so it runs on no
    // caller's signal; each caller stops waiting on its own.
    const counted = this.#counts.getOrCount(CountCache.keyOf(params), () =>
      this.#countWithRetries(client, params, undefined),
    );
    if (!signal) return counted;
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => reject(new AbortError(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      counted.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #countWithRetries(
    client: Anthropic,
    request: MessageCountTokensParams,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const options = { signal };
    for (let attempt = 1; ; attempt++) {
      try {
        const counted = await client.messages.countTokens(
          request,
          this.#requestOptions(options.signal ?? new AbortController().signal),
        );
        return counted.input_tokens;
      } catch (error) {
        const failure = classifyFailure(error, options.signal, this.#now());
        if (failure.aborted) throw new AbortError(undefined, { cause: error });
        if (!failure.retryable || attempt >= this.#maxAttempts)
          throw this.#apiError(failure, attempt, error);
        await sleep(this.#delay(attempt, failure), options.signal);
      }
    }
  }

  #delay(attempt: number, failure: FailureInfo): number {
    return backoffDelay(attempt, failure, {
      baseDelayMs: this.#baseDelayMs,
      maxDelayMs: this.#maxDelayMs,
      maxRetryAfterMs: this.#maxRetryAfterMs,
      random: this.#random,
    });
  }

  #apiError(failure: FailureInfo, attempts: number, cause: unknown): ApiCallError {
    const details = {
      attempts,
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      ...(failure.type !== undefined ? { type: failure.type } : {}),
      ...(failure.requestId !== undefined ? { requestId: failure.requestId } : {}),
    };
    if (failure.retryable) {
      return new ApiCallError(
        ERROR_CODES.API_UNAVAILABLE,
        `The Anthropic API kept failing after ${attempts} attempt(s): ${failure.message}`,
        details,
        { cause },
      );
    }
    const status =
      failure.status === undefined
        ? ''
        : ` (${failure.status}${failure.type ? ` ${failure.type}` : ''})`;
    return new ApiCallError(
      ERROR_CODES.API_REQUEST_REJECTED,
      `The Anthropic API rejected the request${status}: ${failure.message}`,
      details,
      {
        cause,
      },
    );
  }

  async #run(
    request: GatewayRequest,
    attribution: Attribution,
    options: CallOptions,
    send: Sender,
    onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void,
    abortedUsage?: (model: ModelInfo) => NormalizedUsage | undefined,
  ): Promise<GatewayResponse> {
    validateAttribution(attribution);
    if (!request || typeof request !== 'object')
      throw invalidOption('request', 'a Messages request object', request);
    if (!Number.isInteger(request.max_tokens) || request.max_tokens < 1) {
      throw invalidOption('request.max_tokens', 'an integer >= 1', request.max_tokens);
    }
    const model = this.catalog.get(request.model);
    if (request.max_tokens > model.maxOutputTokens) {
      throw invalidOption(
        'request.max_tokens',
        `at most ${model.maxOutputTokens} for ${model.id}`,
        request.max_tokens,
      );
    }
    const { signal } = options;
    const started = this.#now();
    const endEvent = { attribution, model: model.id };
    this.#sdk();
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });

    let reservation: Reservation | undefined;
    let toSend = request;
    let inputTokens: number | undefined;
    if (this.budget) {
      // Waits for calls in flight, counts or lowers max_tokens when it must;
      // throws BudgetExceededError (and emits budget:exceeded) before anything is sent.
      const held = await reserveCall({
        budget: this.budget,
        model,
        request,
        attribution,
        mode: this.#reservation,
        minOutputTokens: this.#minOutputTokens,
        outputLabel: options.maxTokensLabel ?? 'max_tokens',
        count: (counted) => this.#count(counted, signal),
        signal,
      });
      reservation = held.reservation;
      toSend = held.request;
      inputTokens = held.inputTokens;
    }
    // The rate limiter holds an estimate of the input until the usage corrects it.
    const estimatedInput = this.rateLimiter ? estimateRequestTokens(toSend, model.tier) : 0;
    // One controller for every attempt of the call: the SDK's listener on it
    // dies with the call, never on the caller's (maybe long-lived) signal.
    const link = signal ? linkSignal(signal) : undefined;
    let attempt = 0;
    let outcome: Answered;
    try {
      for (;;) {
        attempt += 1;
        const sent = await this.#attempt(toSend, model.id, estimatedInput, link, send, attempt);
        if ('message' in sent) {
          outcome = sent;
          break;
        }
        const { failure, error } = sent;
        if (!failure.retryable || attempt >= this.#maxAttempts)
          throw this.#apiError(failure, attempt, error);
        const maybeBilled = failure.maybeBilled
          ? recordMaybeBilled({
              ledger: this.ledger,
              budget: this.budget,
              request: toSend,
              model,
              attribution,
              inputTokens,
              retries: attempt - 1,
              latencyMs: this.#now() - started,
              requestId: failure.requestId,
            })
          : undefined;
        const delayMs = this.#delay(attempt, failure);
        if (failure.status === 429) this.rateLimiter?.pause(model.id, this.#now() + delayMs);
        const reason = `${failure.status ?? failure.type ?? 'connection'}: ${failure.message}`;
        this.events.emit('call:retry', {
          attribution,
          model: model.id,
          attempt,
          delayMs,
          reason,
          ...(failure.status !== undefined ? { status: failure.status } : {}),
          ...(maybeBilled ? { maybeBilled: true, entryId: maybeBilled.id } : {}),
        });
        onRetry?.({ attempt, delayMs, reason });
        await sleep(delayMs, signal);
      }
    } catch (error) {
      link?.dispose();
      // A stream aborted after message_start is billed by the API: record it (estimated).
      const usage = error instanceof AbortError ? abortedUsage?.(model) : undefined;
      if (usage) {
        throw recordAbortedStream({
          ledger: this.ledger,
          events: this.events,
          reservation,
          model,
          maxTokens: toSend.max_tokens,
          attribution,
          usage,
          attempts: attempt,
          latencyMs: this.#now() - started,
          cause: error,
        });
      }
      reservation?.release();
      this.events.emit('call:end', {
        ...endEvent,
        outcome: error instanceof AbortError ? 'aborted' : 'error',
        attempts: attempt,
        latencyMs: this.#now() - started,
        error: error as Error,
      });
      throw error;
    }

    link?.dispose();
    // The API has billed this response: from here on nothing is retried, and
    // the budget counts it even if the ledger's store fails to write it.
    const { usage } = outcome;
    const latencyMs = this.#now() - started;
    let entry: LedgerEntry | undefined;
    try {
      entry = this.ledger.record({
        attribution,
        model, // the resolved ModelInfo: ledger and gateway price alike
        usage,
        latencyMs,
        retries: attempt - 1,
        outcome: outcomeOf(outcome.message),
        ...(outcome.requestId !== undefined ? { requestId: outcome.requestId } : {}),
      });
    } finally {
      // The ledger priced the entry; only when it threw is the cost worked out here.
      reservation?.settle(entry ? entry.cost.total : costOf(model, usage).total);
    }
    if (this.events.listenerCount('call:end') > 0) {
      this.events.emit('call:end', {
        ...endEvent,
        outcome: 'success',
        attempts: attempt,
        latencyMs,
        usage: entry.usage,
        cost: entry.cost,
        entryId: entry.id,
      });
    }
    const response: GatewayResponse = {
      message: outcome.message,
      entry,
      cost: entry.cost,
      attempts: attempt,
      latencyMs,
    };
    if (outcome.requestId !== undefined) response.requestId = outcome.requestId;
    if (toSend.max_tokens !== request.max_tokens) response.loweredMaxTokens = toSend.max_tokens;
    return response;
  }

  /**
   * One attempt: wait for the rate limiter, send, and settle the limiter.
   * Returns the outcome, or the classified failure when it may be retried;
   * throws on abort.
   */
  async #attempt(
    request: GatewayRequest,
    model: string,
    estimatedInput: number,
    link: LinkedSignal | undefined,
    send: Sender,
    attempt: number,
  ): Promise<Answered | { failure: FailureInfo; error: unknown }> {
    const signal = link?.caller;
    let ticket: RateLimitTicket | undefined;
    try {
      if (this.rateLimiter) {
        ticket = await this.rateLimiter.acquire(
          { model, inputTokens: estimatedInput, outputTokens: request.max_tokens },
          link ? { signal: link.signal } : {},
        );
      }
      const outcome = await send(request, link?.signal, attempt);
      const usage = normalizeUsage(outcome.message.usage);
      this.rateLimiter?.observe(model, outcome.headers);
      // Cache reads do not count toward the input-tokens-per-minute limit.
      ticket?.settle({
        inputTokens: usage.inputTokens + usage.cacheWrite5mTokens + usage.cacheWrite1hTokens,
        outputTokens: usage.outputTokens,
      });
      return { ...outcome, usage };
    } catch (error) {
      ticket?.release();
      if (error instanceof AbortError || signal?.aborted) {
        throw new AbortError(undefined, { cause: signal?.reason ?? error });
      }
      if (error instanceof ArmyError) throw error;
      const failure = classifyFailure(error, signal, this.#now());
      if (failure.aborted) throw new AbortError(undefined, { cause: error });
      if (failure.headers) this.rateLimiter?.observe(model, failure.headers);
      return { failure, error };
    }
  }
}

/**
 * Creates the gateway: the only code that calls `@anthropic-ai/sdk`.
 *
 * @example
 * const gateway = createGateway({ apiKey: process.env.ANTHROPIC_API_KEY, budget, rateLimiter });
 */
export function createGateway(options: GatewayOptions = {}): Gateway {
  return new Gateway(options);
}
