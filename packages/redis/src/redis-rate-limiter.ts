import {
  ArmyError,
  ERROR_CODES,
  RateLimiter,
  type RateLimitRequest,
  type RateLimitTicket,
} from '@haiku-army/core';
import { DEFAULT_KEY_PREFIX, DEFAULT_PROBE_TTL_MS, MAX_POLL_MS } from './constants.js';
import { backendUnavailable } from './internal/connect.js';
import { modelKeys } from './internal/keys.js';
import type { ScriptedRedis } from './internal/scripts.js';
import { PendingWrites, wait } from './internal/wait.js';

/** Options of {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** A connection from this package (`connectRedis`), with its scripts defined. */
  redis: ScriptedRedis;
  /** The URL, for error messages. */
  url: string;
  /** @default 'haiku-army' */
  prefix?: string;
  /**
   * For a model whose limits no process has seen yet, let one request
   * through (across every process) and hold the rest until its response
   * headers say what the limits are. @default true
   */
  probeUnknown?: boolean;
}

const HEADER_KINDS = ['requests', 'input-tokens', 'output-tokens'] as const;

/**
 * Core's per-model request and token buckets, kept in Redis so every
 * process of an account paces to the account's limits together: each
 * grant, correction and header update is one Lua script, and the limits and
 * remaining capacity are learned from the `anthropic-ratelimit-*` headers
 * any process sees. A model is keyed by its canonical id.
 *
 * Why hand-written: it mirrors core's RateLimiter (three coupled buckets,
 * refunds of unused `max_tokens`, re-synchronisation from headers), which
 * no Redis rate-limit library models.
 */
export class RedisRateLimiter extends RateLimiter {
  readonly #redis: ScriptedRedis;
  readonly #url: string;
  readonly #prefix: string;
  readonly #probeUnknown: boolean;
  readonly #writes = new PendingWrites();

  constructor(options: RedisRateLimiterOptions) {
    super({ learn: false });
    this.#redis = options.redis;
    this.#url = options.url;
    this.#prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
    this.#probeUnknown = options.probeUnknown ?? true;
  }

  override async acquire(
    request: RateLimitRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<RateLimitTicket> {
    const keys = modelKeys(this.#prefix, request.model);
    for (;;) {
      let reply: (string | number)[];
      try {
        reply = await this.#redis.armyRateAcquire(
          keys.buckets,
          keys.probe,
          String(request.inputTokens),
          String(request.outputTokens),
          this.#probeUnknown ? '1' : '0',
          String(DEFAULT_PROBE_TTL_MS),
        );
      } catch (error) {
        throw backendUnavailable(this.#url, error);
      }
      const state = Number(reply[0]);
      if (state === 1) return this.#ticket(keys, request, Number(reply[1]) === 1);
      if (state === -1) {
        const what =
          reply[1] === 'input'
            ? `A request of about ${request.inputTokens} input tokens`
            : `max_tokens ${request.outputTokens}`;
        throw new ArmyError(
          ERROR_CODES.RATE_LIMIT_UNSATISFIABLE,
          `${what} can never fit ${request.model}'s limit of ${reply[2]} ${reply[1]} tokens per minute; split the prompt or lower max_tokens.`,
        );
      }
      await wait(Math.max(1, Math.min(MAX_POLL_MS, Number(reply[1]))), options.signal);
    }
  }

  #ticket(
    keys: ReturnType<typeof modelKeys>,
    request: RateLimitRequest,
    probe: boolean,
  ): RateLimitTicket {
    let done = false;
    const finish = (actual: { inputTokens: number; outputTokens: number } | undefined) => {
      if (done) return;
      done = true;
      this.#writes.add(
        this.#redis.armyRateSettle(
          keys.buckets,
          keys.probe,
          String(request.inputTokens),
          String(request.outputTokens),
          String(actual?.inputTokens ?? 0),
          String(actual?.outputTokens ?? 0),
          probe ? '1' : '0',
          actual ? '1' : '0',
        ),
      );
    };
    return {
      model: request.model,
      settle: (actual) => finish(actual),
      release: () => finish(undefined),
    };
  }

  override observe(model: string, headers: Headers | undefined): void {
    if (!headers) return;
    const values: string[] = [];
    let any = false;
    for (const kind of HEADER_KINDS) {
      const limit = headers.get(`anthropic-ratelimit-${kind}-limit`) ?? '';
      const remaining = headers.get(`anthropic-ratelimit-${kind}-remaining`) ?? '';
      if (limit !== '') any = true;
      values.push(limit, remaining);
    }
    if (!any) return;
    const keys = modelKeys(this.#prefix, model);
    this.#writes.add(this.#redis.armyRateObserve(keys.buckets, keys.probe, ...values));
  }

  override pause(model: string, until: number): void {
    // Sent as a delay: Redis's clock, not this machine's, decides when it ends.
    const delayMs = Math.max(0, Math.ceil(until - Date.now()));
    this.#writes.add(
      this.#redis.armyRatePause(modelKeys(this.#prefix, model).buckets, String(delayMs)),
    );
  }

  /** Waits until every bucket update reached Redis. */
  async flush(): Promise<void> {
    try {
      await this.#writes.flush();
    } catch (error) {
      throw backendUnavailable(this.#url, error);
    }
  }
}
