import { EventEmitter } from 'eventemitter3';
import type { Attribution } from './attribution.js';
import type { CostBreakdown, NormalizedUsage } from './cost.js';
import type { BudgetScope, ReservationBreakdown } from './errors.js';
import type { NanoUsd } from './money.js';

/** Emitted before each retry of a model call. */
export interface CallRetryEvent {
  attribution: Attribution;
  model: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** How long the gateway waits before the next attempt, ms. */
  delayMs: number;
  /** HTTP status of the failure, when there was one. */
  status?: number;
  /** A short description of the failure. */
  reason: string;
  /**
   * The API accepted the attempt (2xx) but its body was lost: it may have
   * billed it. The ledger holds a `maybe_billed` entry at its worst case.
   */
  maybeBilled?: boolean;
  /** The `maybe_billed` ledger entry's id, when `maybeBilled`. */
  entryId?: string;
}

/** Emitted when a model call ends, successfully or not. */
export interface CallEndEvent {
  attribution: Attribution;
  model: string;
  outcome: 'success' | 'error' | 'aborted';
  /** Attempts made, including the successful one. */
  attempts: number;
  latencyMs: number;
  usage?: NormalizedUsage;
  cost?: CostBreakdown;
  /** The ledger entry id when the call was billed. */
  entryId?: string;
  error?: Error;
}

/** A budget threshold or cap event. Money in nano-USD. */
export interface BudgetEvent {
  scope: BudgetScope;
  /** The run id, task id or period key (`2026-11-23`, `2026-11`) the cap applies to. */
  key: string;
  limit: NanoUsd;
  /** Spent (settled) so far in this scope. */
  spent: NanoUsd;
  /** Spent plus reserved. */
  committed: NanoUsd;
  /** The threshold crossed, as a share of the limit (e.g. 0.8). */
  threshold?: number;
  /** Of `committed`, what calls in flight hold. */
  reserved: NanoUsd;
  /** For `budget:exceeded`: the refused or overrunning amount. */
  requested?: NanoUsd;
  /** For a refusal: the smallest amount that would have been accepted (a lowered output allowance). */
  minimum?: NanoUsd;
  /** For a refusal made by a gateway call: input tokens, how they were bounded, the output allowance. */
  breakdown?: ReservationBreakdown;
}

/**
 * Payload types another package declares by merging, so its events are not
 * `unknown`. The orchestrator, for example:
 *
 * @example
 * declare module '@haiku-army/core' {
 *   interface ArmyEventTypes { plan: Plan; job: Job }
 *   interface ArmyEventMap { 'synthesis:end': (event: SynthesisEndEvent) => void }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: a declaration-merging seam
export interface ArmyEventTypes {}

/** The declared type of `key` in {@link ArmyEventTypes}, or `unknown`. */
export type DeclaredEventType<K extends string> = ArmyEventTypes extends { [P in K]: infer T }
  ? T
  : unknown;

/** Lifecycle of a run. */
export interface RunStartEvent {
  runId: string;
  /** The job, typed by {@link ArmyEventTypes} `job` when declared. */
  job?: DeclaredEventType<'job'>;
}
export interface RunEndEvent {
  runId: string;
  status: 'done' | 'failed' | 'aborted' | 'budget_exceeded';
  cost: NanoUsd;
  error?: Error;
}
export interface PlanReadyEvent {
  runId: string;
  /** The plan, typed by {@link ArmyEventTypes} `plan` when declared. */
  plan: DeclaredEventType<'plan'>;
}

/** Lifecycle of one subtask. */
export interface TaskEvent {
  runId: string;
  taskId: string;
  parentTaskId?: string;
  model?: string;
}
export interface TaskEscalateEvent extends TaskEvent {
  from: string;
  to: string;
  reason: string;
}
export interface TaskEndEvent extends TaskEvent {
  status: string;
  cost: NanoUsd;
  /** A stable code for why the task stopped early (e.g. `BUDGET_EXCEEDED`, `MAX_TURNS`). */
  code?: string;
  /** A human-readable reason when the task did not finish `done`. */
  reason?: string;
  error?: Error;
}

/** A Message Batch's request counts, as the API reports them. */
export interface BatchRequestCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** Emitted once per Message Batch the gateway created. */
export interface BatchSubmittedEvent {
  batchId: string;
  /** Requests in this batch. */
  requests: number;
  /** This batch's place among the batches one `gateway.batch()` call submitted (0-based). */
  chunk: number;
  /** How many batches the call submits in all. */
  chunks: number;
}

/** Emitted on each poll of a Message Batch. */
export interface BatchProgressEvent {
  batchId: string;
  status: 'in_progress' | 'canceling' | 'ended';
  requestCounts: BatchRequestCounts;
}

/** Emitted once a Message Batch has ended and its results were collected. */
export interface BatchEndedEvent {
  batchId: string;
  requestCounts: BatchRequestCounts;
  /** What its succeeded requests cost (at the batch tier), nano-USD. */
  cost: NanoUsd;
  /** True when the gateway cancelled it (abort or deadline). */
  canceled: boolean;
}

/**
 * Every event haiku-army emits, keyed by name (noun first). One object per
 * payload. Other packages add their own events by merging into this
 * interface (see {@link ArmyEventTypes}).
 */
export interface ArmyEventMap {
  'run:start': (event: RunStartEvent) => void;
  'plan:ready': (event: PlanReadyEvent) => void;
  'task:queued': (event: TaskEvent) => void;
  'task:start': (event: TaskEvent) => void;
  'task:escalate': (event: TaskEscalateEvent) => void;
  'task:end': (event: TaskEndEvent) => void;
  'call:retry': (event: CallRetryEvent) => void;
  'call:end': (event: CallEndEvent) => void;
  'budget:warning': (event: BudgetEvent) => void;
  'budget:critical': (event: BudgetEvent) => void;
  'budget:exceeded': (event: BudgetEvent) => void;
  'run:end': (event: RunEndEvent) => void;
  'batch:submitted': (event: BatchSubmittedEvent) => void;
  'batch:progress': (event: BatchProgressEvent) => void;
  'batch:ended': (event: BatchEndedEvent) => void;
}

/** The event names. */
export type ArmyEventName = keyof ArmyEventMap;

/** Options for {@link ArmyEvents}. */
export interface ArmyEventsOptions {
  /**
   * Receives an error thrown by a listener. The event still reaches every
   * other listener, and the code that emitted it carries on.
   * @default logs the error with console.error
   */
  onListenerError?: (error: unknown, event: ArmyEventName) => void;
}

type Listener<T extends ArmyEventName> = EventEmitter.EventListener<ArmyEventMap, T>;

function logListenerError(error: unknown, event: ArmyEventName): void {
  console.error(`haiku-army: a "${event}" listener threw; the other listeners still ran.`, error);
}

/**
 * A typed event emitter shared by the gateway, budget, pool and orchestrator.
 *
 * A throwing listener must not break a model call that was already billed or
 * leave a pool task half-settled, so every listener is guarded: its error goes
 * to `onListenerError` and the other listeners still run. (eventemitter3 lets
 * the first throw escape `emit`; guarding at registration keeps its `once`
 * and `off` semantics intact.) `listeners()` returns the guards.
 */
export class ArmyEvents extends EventEmitter<ArmyEventMap> {
  readonly #onListenerError: (error: unknown, event: ArmyEventName) => void;
  /** The guard of each listener, per event, so `off(event, listener)` finds it. */
  readonly #guards = new WeakMap<Function, Map<ArmyEventName, Function>>();

  constructor(options: ArmyEventsOptions = {}) {
    super();
    this.#onListenerError = options.onListenerError ?? logListenerError;
  }

  #guard<T extends ArmyEventName>(event: T, listener: Listener<T>): Listener<T> {
    let byEvent = this.#guards.get(listener);
    if (!byEvent) {
      byEvent = new Map();
      this.#guards.set(listener, byEvent);
    }
    let guard = byEvent.get(event);
    if (!guard) {
      const report = this.#onListenerError;
      guard = function guarded(this: unknown, ...args: unknown[]) {
        try {
          const result: unknown = (listener as (...values: unknown[]) => unknown).apply(this, args);
          // An async listener's rejection is reported too, never left unhandled.
          if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
            (result as PromiseLike<unknown>).then(undefined, (error: unknown) =>
              report(error, event),
            );
          }
        } catch (error) {
          report(error, event);
        }
      };
      byEvent.set(event, guard);
    }
    return guard as Listener<T>;
  }

  #guardOf<T extends ArmyEventName>(
    event: T,
    listener: Listener<T> | undefined,
  ): Listener<T> | undefined {
    return listener === undefined
      ? undefined
      : ((this.#guards.get(listener)?.get(event) as Listener<T>) ?? listener);
  }

  override on<T extends ArmyEventName>(event: T, listener: Listener<T>, context?: unknown): this {
    return super.on(event, this.#guard(event, listener), context);
  }

  override addListener<T extends ArmyEventName>(
    event: T,
    listener: Listener<T>,
    context?: unknown,
  ): this {
    return super.addListener(event, this.#guard(event, listener), context);
  }

  override once<T extends ArmyEventName>(event: T, listener: Listener<T>, context?: unknown): this {
    return super.once(event, this.#guard(event, listener), context);
  }

  override off<T extends ArmyEventName>(
    event: T,
    listener?: Listener<T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.off(event, this.#guardOf(event, listener), context, once);
  }

  override removeListener<T extends ArmyEventName>(
    event: T,
    listener?: Listener<T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.removeListener(event, this.#guardOf(event, listener), context, once);
  }
}

/** Creates a typed event emitter. */
export function createEvents(options: ArmyEventsOptions = {}): ArmyEvents {
  return new ArmyEvents(options);
}
