import type {
  AcquireOptions,
  AcquireRequest,
  BudgetHeadroom,
  BudgetLimits,
  BudgetOptions,
  Reservation,
  ReserveRequest,
  RestoreRunInput,
  UnsettledCall,
} from './budget-options.js';
import { DEFAULT_CRITICAL_THRESHOLD, DEFAULT_WARNING_THRESHOLD } from './constants.js';
import {
  AbortError,
  ArmyError,
  BudgetExceededError,
  type BudgetScope,
  ERROR_CODES,
  invalidOption,
} from './errors.js';
import type { ArmyEvents, BudgetEvent } from './events.js';
import { dayKey, monthKey, periodBounds, taskKey } from './internal/budget-periods.js';
import type { CostLedger } from './ledger/cost-ledger.js';
import { budgetedCost } from './ledger/ledger-entry.js';
import type { NanoUsd } from './money.js';

export type {
  AcquireOptions,
  AcquireRequest,
  BudgetHeadroom,
  BudgetLimits,
  BudgetOptions,
  Reservation,
  ReserveRequest,
  RestoreRunInput,
  UnsettledCall,
} from './budget-options.js';

interface Waiter {
  request: AcquireRequest;
  states: ScopeState[];
  resolve: (reservation: Reservation) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

interface ScopeState {
  id: string;
  scope: BudgetScope;
  key: string;
  limit: NanoUsd;
  spent: NanoUsd;
  reserved: NanoUsd;
  warned: boolean;
  critical: boolean;
  exceeded: boolean;
}

function unsettledIn(calls: readonly UnsettledCall[], since: number, until: number): NanoUsd {
  let total = 0;
  for (const call of calls)
    if (call.timestamp >= since && call.timestamp < until) total += call.amount;
  return total;
}

/**
 * Hard spending caps that hold under any concurrency: a call reserves its
 * worst case before it is sent and settles to the real cost after, and a
 * reservation that would take any scope over its cap is refused with
 * {@link BudgetExceededError}. Reservation is synchronous, so concurrent
 * callers on the event loop can never both pass the same check.
 */
export class Budget {
  readonly limits: Readonly<BudgetLimits>;
  readonly #ledger: CostLedger | undefined;
  #events: ArmyEvents | undefined;
  readonly #warningAt: number;
  readonly #criticalAt: number;
  readonly #now: () => number;
  readonly #scopes = new Map<string, ScopeState>();
  /** Reservations waiting for calls in flight to settle, oldest first. */
  #waiters: Waiter[] = [];
  /** Restored runs' calls in flight at their crash, by run id: spend no ledger holds, counted in day and month scopes. */
  readonly #unsettled = new Map<string, readonly UnsettledCall[]>();
  #nextId = 1;

  constructor(options: BudgetOptions) {
    if (!options || typeof options.limits !== 'object' || options.limits === null) {
      throw invalidOption(
        'limits',
        'an object of caps in nano-USD, e.g. { run: usd(5) }',
        options?.limits,
      );
    }
    for (const scope of ['run', 'task', 'day', 'month'] as const) {
      const limit = options.limits[scope];
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw invalidOption(
          `limits.${scope}`,
          'an integer number of nano-USD >= 0 (use usd(dollars))',
          limit,
        );
      }
    }
    if (
      (options.limits.day !== undefined || options.limits.month !== undefined) &&
      !options.ledger
    ) {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        'Day and month caps need `ledger` so spend from earlier runs counts; pass the (loaded) CostLedger.',
      );
    }
    if (
      options.ledger &&
      (options.limits.day !== undefined || options.limits.month !== undefined) &&
      !options.ledger.loaded
    ) {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        'Day and month caps count spend from earlier runs, but the ledger has not been loaded; `await ledger.load()` before creating the Budget.',
      );
    }
    const warningAt = options.warningAt ?? DEFAULT_WARNING_THRESHOLD;
    const criticalAt = options.criticalAt ?? DEFAULT_CRITICAL_THRESHOLD;
    if (!(warningAt > 0 && warningAt <= 1))
      throw invalidOption('warningAt', 'a share of the cap in (0, 1], e.g. 0.8', warningAt);
    if (!(criticalAt >= warningAt && criticalAt <= 1)) {
      throw invalidOption(
        'criticalAt',
        `a share of the cap from warningAt (${warningAt}) to 1, e.g. 0.95`,
        criticalAt,
      );
    }
    this.limits = Object.freeze({ ...options.limits });
    this.#ledger = options.ledger;
    this.#events = options.events;
    this.#warningAt = warningAt;
    this.#criticalAt = criticalAt;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Sends `budget:*` events to `events` when the budget was built without an
   * emitter. The gateway calls this with its own, so listeners on
   * `gateway.events` hear the budget too.
   */
  attachEvents(events: ArmyEvents): void {
    this.#events ??= events;
  }

  /**
   * Forgets the run's scope and its tasks' scopes once nothing is reserved in
   * them, so a long-lived budget does not grow with every run. Day and month
   * spend is kept.
   */
  endRun(runId: string): void {
    const prefix = `task:${runId}/`;
    for (const [id, state] of this.#scopes) {
      if (
        (id === `run:${runId}` || id.startsWith(prefix)) &&
        state.reserved === 0 &&
        !this.#waiters.some((waiter) => waiter.states.includes(state))
      )
        this.#scopes.delete(id);
    }
  }

  #state(scope: BudgetScope, key: string, limit: NanoUsd): ScopeState {
    const id = `${scope}:${key}`;
    let state = this.#scopes.get(id);
    if (!state) {
      let spent = 0;
      if (scope === 'day' || scope === 'month') {
        const [since, until] = periodBounds(scope, key);
        if (this.#ledger) spent = this.#ledger.spent({ since, until });
        for (const calls of this.#unsettled.values()) spent += unsettledIn(calls, since, until);
      }
      state = {
        id,
        scope,
        key,
        limit,
        spent,
        reserved: 0,
        warned: false,
        critical: false,
        exceeded: false,
      };
      this.#scopes.set(id, state);
    }
    return state;
  }

  #statesFor(request: { runId: string; taskId: string }): ScopeState[] {
    const states: ScopeState[] = [];
    const { run, task, day, month } = this.limits;
    const time = this.#now();
    if (run !== undefined) states.push(this.#state('run', request.runId, run));
    if (task !== undefined)
      states.push(this.#state('task', taskKey(request.runId, request.taskId), task));
    if (day !== undefined) states.push(this.#state('day', dayKey(time), day));
    if (month !== undefined) states.push(this.#state('month', monthKey(time), month));
    return states;
  }

  #event(state: ScopeState, extra: Partial<BudgetEvent> = {}): BudgetEvent {
    return {
      scope: state.scope,
      key: state.key,
      limit: state.limit,
      spent: state.spent,
      committed: state.spent + state.reserved,
      reserved: state.reserved,
      ...extra,
    };
  }

  /**
   * Reserves the worst-case cost of a call in every scope it falls under, now.
   * @throws BudgetExceededError when any scope would go over its cap.
   */
  reserve(request: ReserveRequest): Reservation {
    const { amount } = request;
    if (!Number.isInteger(amount) || amount < 0)
      throw invalidOption('amount', 'an integer number of nano-USD >= 0', amount);
    const states = this.#statesFor(request);
    for (const state of states) {
      if (state.spent + state.reserved + amount > state.limit)
        throw this.#refuse(state, request, amount);
    }
    return this.#hold(states, amount);
  }

  /**
   * Reserves a call's worst case, waiting (first come, first served per
   * scope) while calls in flight in the same scope hold what it needs. It is
   * refused only when it could not fit even with nothing else in flight;
   * when the full amount can never fit but `minimum` can, it is granted what
   * is left (check `reservation.amount`).
   *
   * @throws BudgetExceededError when even `minimum` cannot fit once everything in flight has settled.
   * @throws AbortError when `options.signal` aborts while it waits.
   */
  acquire(request: AcquireRequest, options: AcquireOptions = {}): Promise<Reservation> {
    const { amount } = request;
    const minimum = request.minimum ?? amount;
    if (!Number.isInteger(amount) || amount < 0)
      return Promise.reject(invalidOption('amount', 'an integer number of nano-USD >= 0', amount));
    if (!Number.isInteger(minimum) || minimum < 0 || minimum > amount) {
      return Promise.reject(
        invalidOption(
          'minimum',
          `an integer number of nano-USD from 0 to amount (${amount})`,
          minimum,
        ),
      );
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const states = this.#statesFor(request);
    const decision = this.#decide(states, request);
    // What cannot fit even alone is refused at once; what can waits its turn.
    if (decision instanceof BudgetExceededError) return Promise.reject(decision);
    const queued = new Set(this.#waiters.flatMap((waiter) => waiter.states));
    if (decision !== undefined && !states.some((state) => queued.has(state)))
      return Promise.resolve(this.#hold(states, decision));
    return new Promise<Reservation>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((other) => other !== waiter);
        reject(new AbortError(undefined, { cause: signal?.reason }));
        this.#drain();
      };
      const waiter: Waiter = {
        request,
        states,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * What the tightest scope a request falls under can still take, or
   * `undefined` when no cap applies to it.
   */
  headroom(request: { runId: string; taskId: string }): BudgetHeadroom | undefined {
    const states = this.#statesFor(request);
    if (states.length === 0) return undefined;
    let available = Number.POSITIVE_INFINITY;
    let ceiling = Number.POSITIVE_INFINITY;
    for (const state of states) {
      available = Math.min(available, state.limit - state.spent - state.reserved);
      ceiling = Math.min(ceiling, state.limit - state.spent);
    }
    return { available: Math.max(0, available), ceiling: Math.max(0, ceiling) };
  }

  /**
   * The amount to grant now, `undefined` to wait, or the refusal. Waits only
   * while calls in flight hold what the request needs.
   */
  #decide(
    states: ScopeState[],
    request: AcquireRequest,
  ): NanoUsd | BudgetExceededError | undefined {
    const minimum = request.minimum ?? request.amount;
    let target = request.amount;
    for (const state of states) {
      const ceiling = state.limit - state.spent;
      if (ceiling < minimum) return this.#refuse(state, request, request.amount);
      target = Math.min(target, ceiling);
    }
    for (const state of states) {
      if (state.spent + state.reserved + target > state.limit) return undefined;
    }
    return target;
  }

  #refuse(state: ScopeState, request: AcquireRequest, amount: NanoUsd): BudgetExceededError {
    const extra: Partial<BudgetEvent> = { requested: amount };
    if (request.minimum !== undefined) extra.minimum = request.minimum;
    if (request.breakdown) extra.breakdown = request.breakdown;
    this.#events?.emit('budget:exceeded', this.#event(state, extra));
    return new BudgetExceededError({
      scope: state.scope,
      limit: state.limit,
      spent: state.spent + state.reserved,
      requested: amount,
      reserved: state.reserved,
      ...(request.minimum !== undefined ? { minimum: request.minimum } : {}),
      ...(request.breakdown ? { breakdown: request.breakdown } : {}),
      ...(state.scope === 'task' ? { taskId: request.taskId } : {}),
    });
  }

  /** Grants or refuses waiting reservations, oldest first per scope. */
  #drain(): void {
    if (this.#waiters.length === 0) return;
    const blocked = new Set<ScopeState>();
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.states.some((state) => blocked.has(state))) {
        for (const state of waiter.states) blocked.add(state);
        still.push(waiter);
        continue;
      }
      const decision = this.#decide(waiter.states, waiter.request);
      if (decision === undefined) {
        for (const state of waiter.states) blocked.add(state);
        still.push(waiter);
        continue;
      }
      waiter.cleanup();
      if (decision instanceof BudgetExceededError) waiter.reject(decision);
      else waiter.resolve(this.#hold(waiter.states, decision));
    }
    this.#waiters = still;
  }

  #hold(states: ScopeState[], amount: NanoUsd): Reservation {
    for (const state of states) state.reserved += amount;
    let settled = false;
    const finish = (actual: NanoUsd | undefined): void => {
      if (settled) return;
      settled = true;
      for (const state of states) {
        state.reserved -= amount;
        if (actual !== undefined) {
          state.spent += actual;
          this.#checkThresholds(state, actual);
        }
      }
      this.#drain();
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

  /**
   * Counts an interrupted run's spend, read back from its journal, so its
   * caps hold across the crash: the run's scope and its tasks' scopes are
   * set to what `entries` and `unsettled` add up to (so restoring twice
   * counts once); day and month scopes already in use add `newToLedger` and
   * `unsettled`. Call it before the resumed run makes a call.
   * @throws ArmyError `INVALID_STATE` when calls of the run hold reservations.
   */
  restoreRun(input: RestoreRunInput): void {
    const { runId, entries } = input;
    if (typeof runId !== 'string' || runId.length === 0)
      throw invalidOption('runId', 'a run id', runId);
    if (!Array.isArray(entries))
      throw invalidOption('entries', 'an array of ledger entries', entries);
    const unsettled = input.unsettled ?? [];
    const byTask = new Map<string, NanoUsd>();
    let total = 0;
    const count = (taskId: string, amount: NanoUsd, what: string) => {
      if (!Number.isInteger(amount) || amount < 0)
        throw invalidOption(what, 'an integer number of nano-USD >= 0', amount);
      total += amount;
      byTask.set(taskId, (byTask.get(taskId) ?? 0) + amount);
    };
    for (const [index, entry] of entries.entries()) {
      if (entry?.runId !== runId)
        throw invalidOption(`entries[${index}].runId`, `"${runId}"`, entry?.runId);
      count(entry.taskId, budgetedCost(entry), `entries[${index}].cost.total`);
    }
    for (const [index, call] of unsettled.entries())
      count(call.taskId, call.amount, `unsettled[${index}].amount`);
    const { run, task } = this.limits;
    const scopes: [ScopeState, NanoUsd][] = [];
    if (run !== undefined) scopes.push([this.#state('run', runId, run), total]);
    if (task !== undefined)
      for (const [taskId, amount] of byTask)
        scopes.push([this.#state('task', taskKey(runId, taskId), task), amount]);
    if (scopes.some(([state]) => state.reserved > 0))
      throw new ArmyError(
        ERROR_CODES.INVALID_STATE,
        `Run "${runId}" has calls in flight: restore its spend before the resumed run makes calls.`,
      );
    for (const [state, amount] of scopes) {
      state.spent = amount;
      this.#checkThresholds(state, amount);
    }
    const before = this.#unsettled.get(runId) ?? [];
    this.#unsettled.set(runId, [...unsettled]);
    for (const state of this.#scopes.values()) {
      if (state.scope !== 'day' && state.scope !== 'month') continue;
      const [since, until] = periodBounds(state.scope, state.key);
      let added = unsettledIn(unsettled, since, until) - unsettledIn(before, since, until);
      for (const entry of input.newToLedger ?? entries)
        if (entry.timestamp >= since && entry.timestamp < until) added += budgetedCost(entry);
      state.spent += added;
      if (added > 0) this.#checkThresholds(state, added);
    }
    this.#drain();
  }

  /** Records spend that was not reserved (e.g. a batch result collected later). */
  charge(request: ReserveRequest): void {
    const states = this.#statesFor(request);
    for (const state of states) {
      state.spent += request.amount;
      this.#checkThresholds(state, request.amount);
    }
    this.#drain();
  }

  #checkThresholds(state: ScopeState, actual: NanoUsd): void {
    const ratio =
      state.limit === 0
        ? state.spent > 0
          ? Number.POSITIVE_INFINITY
          : 0
        : state.spent / state.limit;
    if (!state.warned && ratio >= this.#warningAt) {
      state.warned = true;
      this.#events?.emit('budget:warning', this.#event(state, { threshold: this.#warningAt }));
    }
    if (!state.critical && ratio >= this.#criticalAt) {
      state.critical = true;
      this.#events?.emit('budget:critical', this.#event(state, { threshold: this.#criticalAt }));
    }
    // Only reachable when a call's real cost exceeded its reservation (or an
    // unreserved `charge`): spend is never hidden, so say so.
    if (!state.exceeded && state.spent > state.limit) {
      state.exceeded = true;
      this.#events?.emit('budget:exceeded', this.#event(state, { requested: actual }));
    }
  }

  /**
   * Spent, reserved and remaining in one scope. `key` is the run id, the
   * period (`2026-11-23`, `2026-11`), or for a task `runId/taskId`.
   */
  status(
    scope: BudgetScope,
    key: string,
  ): { limit: NanoUsd; spent: NanoUsd; reserved: NanoUsd; remaining: NanoUsd } | undefined {
    const limit = this.limits[scope];
    if (limit === undefined) return undefined;
    const state = this.#state(scope, key, limit);
    return {
      limit,
      spent: state.spent,
      reserved: state.reserved,
      remaining: Math.max(0, limit - state.spent - state.reserved),
    };
  }

  /**
   * Whether a reservation of `amount` would be accepted now (without making it).
   */
  canReserve(request: ReserveRequest): boolean {
    return this.#statesFor(request).every(
      (state) => state.spent + state.reserved + request.amount <= state.limit,
    );
  }
}
