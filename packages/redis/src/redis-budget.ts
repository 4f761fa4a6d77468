import { randomUUID } from 'node:crypto';
import {
  type AcquireOptions,
  type AcquireRequest,
  ArmyError,
  type ArmyEvents,
  Budget,
  BudgetExceededError,
  type BudgetHeadroom,
  type BudgetLimits,
  type BudgetScope,
  ERROR_CODES,
  invalidOption,
  type NanoUsd,
  type Reservation,
  type ReserveRequest,
  type RestoreRunInput,
} from '@haiku-army/core';
import { DEFAULT_KEY_PREFIX, DEFAULT_RESERVATION_LEASE_MS, MAX_POLL_MS } from './constants.js';
import { backendUnavailable } from './internal/connect.js';
import { runKeys } from './internal/keys.js';
import type { ScriptedRedis } from './internal/scripts.js';
import { PendingWrites, wait } from './internal/wait.js';

/** Options of {@link RedisBudget}. */
export interface RedisBudgetOptions {
  /** A connection from this package (`connectRedis`), with its scripts defined. */
  redis: ScriptedRedis;
  /** The URL, for error messages. */
  url: string;
  /**
   * The caps of the runs this process starts (the coordinator's). A worker
   * process passes none: it reads each run's caps from Redis. Only `run`
   * and `task` are shared; day and month caps need a ledger of every run.
   * @default {}
   */
  limits?: Pick<BudgetLimits, 'run' | 'task'>;
  /** @default 'haiku-army' */
  prefix?: string;
  /** See DEFAULT_RESERVATION_LEASE_MS. @default 15 minutes */
  leaseMs?: number;
  /**
   * How often a run this process registered (the coordinator's) reads its
   * spend from Redis for {@link RedisBudget.status}, ms. @default 1000
   */
  statusRefreshMs?: number;
}

/** A run's spend as last read from Redis, and the timer that reads it again. */
interface RunView {
  spent: NanoUsd;
  reserved: NanoUsd;
  timer: ReturnType<typeof setInterval>;
}

/**
 * A hard budget shared by every process of a run: each reservation and
 * settlement is one Lua script in Redis, so the run and task caps hold
 * whichever process makes the call, and the sum of what all processes spend
 * never passes the cap. A reservation that does not fit while calls in
 * flight (anywhere) hold the room waits for them, as core's Budget does; one
 * that could not fit even alone is refused with {@link BudgetExceededError}.
 *
 * Waiting is a poll (a few ms growing to 250 ms), not core's first-come
 * queue: across processes, who gets freed room first is not guaranteed.
 */
export class RedisBudget extends Budget {
  readonly #redis: ScriptedRedis;
  readonly #url: string;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #shared: Pick<BudgetLimits, 'run' | 'task'>;
  readonly #writes = new PendingWrites();
  readonly #statusRefreshMs: number;
  readonly #views = new Map<string, RunView>();
  #budgetEvents: ArmyEvents | undefined;
  #nextId = 1;

  constructor(options: RedisBudgetOptions) {
    const limits = options.limits ?? {};
    for (const scope of Object.keys(limits))
      if (scope !== 'run' && scope !== 'task')
        throw invalidOption(
          `budget.${scope}`,
          'only `run` and `task` caps with the Redis backend (day and month caps need every run on one ledger)',
          (limits as Record<string, unknown>)[scope],
        );
    super({ limits });
    this.#redis = options.redis;
    this.#url = options.url;
    this.#prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
    this.#leaseMs = options.leaseMs ?? DEFAULT_RESERVATION_LEASE_MS;
    this.#shared = { ...limits };
    const refresh = options.statusRefreshMs ?? 1000;
    if (!Number.isInteger(refresh) || refresh < 1)
      throw invalidOption('statusRefreshMs', 'an integer number of ms >= 1', refresh);
    this.#statusRefreshMs = refresh;
  }

  override attachEvents(events: ArmyEvents): void {
    this.#budgetEvents ??= events;
    super.attachEvents(events);
  }

  /**
   * Writes this budget's caps for `runId` to Redis, where every worker's
   * reservations read them. The coordinator calls it before enqueueing.
   */
  async registerRun(runId: string): Promise<void> {
    const keys = runKeys(this.#prefix, runId);
    const fields: string[] = [];
    if (this.#shared.run !== undefined) fields.push('limit:run', String(this.#shared.run));
    if (this.#shared.task !== undefined) fields.push('limit:task', String(this.#shared.task));
    let spend: { spent: NanoUsd; reserved: NanoUsd } | undefined;
    try {
      if (fields.length > 0) await this.#redis.hset(keys.budget, ...fields);
      if (this.#shared.run !== undefined) spend = await this.runSpend(runId);
    } catch (error) {
      throw backendUnavailable(this.#url, error);
    }
    if (!spend) return;
    // status() is synchronous (the router's budget-aware downgrade reads it
    // per pick), and the spend of every process lands in Redis: it answers
    // from a view read again every statusRefreshMs (a soft signal; the cap
    // itself is enforced in Redis by each reservation).
    this.endRun(runId);
    let reading = false;
    const view: RunView = {
      ...spend,
      timer: setInterval(() => {
        // One read at a time: a slow Redis does not stack them.
        if (reading) return;
        reading = true;
        this.runSpend(runId)
          .then(
            (read) => {
              if (this.#views.get(runId) !== view) return;
              view.spent = read.spent;
              view.reserved = read.reserved;
            },
            // Redis trouble surfaces through the reservations; the view stays as last read.
            () => {},
          )
          .finally(() => {
            reading = false;
          });
      }, this.#statusRefreshMs),
    };
    view.timer.unref?.();
    this.#views.set(runId, view);
  }

  /** Spent and reserved in one run, across every process, read from Redis now. */
  async runSpend(runId: string): Promise<{ spent: NanoUsd; reserved: NanoUsd }> {
    const keys = runKeys(this.#prefix, runId);
    const [spent, reserved] = await this.#redis.hmget(keys.budget, 'spent:run', 'reserved:run');
    return { spent: Number(spent ?? 0), reserved: Number(reserved ?? 0) };
  }

  override acquire(request: AcquireRequest, options: AcquireOptions = {}): Promise<Reservation> {
    const { amount } = request;
    const minimum = request.minimum ?? amount;
    if (!Number.isInteger(amount) || amount < 0)
      return Promise.reject(invalidOption('amount', 'an integer number of nano-USD >= 0', amount));
    if (!Number.isInteger(minimum) || minimum < 0 || minimum > amount)
      return Promise.reject(
        invalidOption(
          'minimum',
          `an integer number of nano-USD from 0 to amount (${amount})`,
          minimum,
        ),
      );
    return this.#acquire(request, minimum, options.signal);
  }

  async #acquire(
    request: AcquireRequest,
    minimum: NanoUsd,
    signal: AbortSignal | undefined,
  ): Promise<Reservation> {
    const keys = runKeys(this.#prefix, request.runId);
    const leaseId = `${randomUUID()}`;
    let pollMs = 2;
    for (;;) {
      if (signal?.aborted) await wait(0, signal);
      let reply: (string | number)[];
      try {
        reply = await this.#redis.armyBudgetAcquire(
          keys.budget,
          keys.leases,
          keys.lease,
          request.taskId,
          String(request.amount),
          String(minimum),
          leaseId,
          String(this.#leaseMs),
        );
      } catch (error) {
        throw backendUnavailable(this.#url, error);
      }
      const [state] = reply;
      if (Number(state) === 1) return this.#hold(keys, leaseId, Number(reply[1]));
      if (Number(state) === -1) throw this.#refuse(request, minimum, reply);
      await wait(pollMs, signal);
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
    }
  }

  #refuse(
    request: AcquireRequest,
    minimum: NanoUsd,
    reply: (string | number)[],
  ): BudgetExceededError {
    const scope = String(reply[1]) as BudgetScope;
    const limit = Number(reply[2]);
    const spent = Number(reply[3]);
    const reserved = Number(reply[4]);
    const key = scope === 'task' ? `${request.runId}/${request.taskId}` : request.runId;
    this.#budgetEvents?.emit('budget:exceeded', {
      scope,
      key,
      limit,
      spent,
      committed: spent + reserved,
      reserved,
      requested: request.amount,
      ...(request.minimum !== undefined ? { minimum } : {}),
      ...(request.breakdown ? { breakdown: request.breakdown } : {}),
    });
    return new BudgetExceededError({
      scope,
      limit,
      spent: spent + reserved,
      requested: request.amount,
      reserved,
      ...(request.minimum !== undefined ? { minimum } : {}),
      ...(request.breakdown ? { breakdown: request.breakdown } : {}),
      ...(scope === 'task' ? { taskId: request.taskId } : {}),
    });
  }

  #hold(keys: ReturnType<typeof runKeys>, leaseId: string, amount: NanoUsd): Reservation {
    let settled = false;
    const finish = (actual: NanoUsd | undefined) => {
      if (settled) return;
      settled = true;
      // Settling is synchronous for the gateway; the write is awaited by `flush()`.
      this.#writes.add(
        this.#redis.armyBudgetSettle(
          keys.budget,
          keys.leases,
          keys.lease,
          leaseId,
          actual === undefined ? '' : String(actual),
        ),
      );
    };
    return {
      id: this.#nextId++,
      amount,
      get settled() {
        return settled;
      },
      settle: (actual: NanoUsd) => {
        if (!Number.isInteger(actual) || actual < 0)
          throw invalidOption('actual', 'an integer number of nano-USD >= 0', actual);
        finish(actual);
      },
      release: () => finish(undefined),
    };
  }

  /** Waits until every settlement reached Redis. @throws ArmyError `BACKEND_UNAVAILABLE` when one could not be written */
  async flush(): Promise<void> {
    try {
      await this.#writes.flush();
    } catch (error) {
      throw backendUnavailable(this.#url, error);
    }
  }

  /** Unreserved spend (a batch result) is not shared: batch mode runs in-process. */
  override charge(request: ReserveRequest): void {
    const keys = runKeys(this.#prefix, request.runId);
    this.#writes.add(
      this.#redis
        .multi()
        .hincrby(keys.budget, 'spent:run', request.amount)
        .hincrby(keys.budget, `spent:t:${request.taskId}`, request.amount)
        .exec(),
    );
  }

  /** Synchronous reservations (Message Batches) cannot wait for Redis. */
  override reserve(_request: ReserveRequest): Reservation {
    throw new ArmyError(
      ERROR_CODES.INVALID_STATE,
      'The Redis budget reserves asynchronously (`acquire`); batch reservations are not supported with the Redis backend. Run batch mode without a backend.',
    );
  }

  /** Unknown without a round trip: the gateway then skips its exact-count tightening. */
  override headroom(_request: { runId: string; taskId: string }): BudgetHeadroom | undefined {
    return undefined;
  }

  override canReserve(_request: ReserveRequest): boolean {
    return true;
  }

  /**
   * A run this process registered: its spend and reservations across every
   * process, as last read from Redis (every `statusRefreshMs`; older while
   * Redis does not answer). Task
   * scopes and runs registered elsewhere are unknown here (`undefined`);
   * `runSpend` reads a run's now.
   */
  override status(
    scope: BudgetScope,
    key: string,
  ): { limit: NanoUsd; spent: NanoUsd; reserved: NanoUsd; remaining: NanoUsd } | undefined {
    const limit = this.#shared.run;
    const view = scope === 'run' ? this.#views.get(key) : undefined;
    if (limit === undefined || !view) return undefined;
    return {
      limit,
      spent: view.spent,
      reserved: view.reserved,
      remaining: Math.max(0, limit - view.spent - view.reserved),
    };
  }

  /** Redis already holds the run's spend across the crash: nothing to restore. */
  override restoreRun(_input: RestoreRunInput): void {}

  override endRun(runId: string): void {
    clearInterval(this.#views.get(runId)?.timer);
    this.#views.delete(runId);
  }

  /** Stops reading the spend of every run this process registered (the backend's `close()` calls it). */
  endAllRuns(): void {
    for (const runId of [...this.#views.keys()]) this.endRun(runId);
  }
}
