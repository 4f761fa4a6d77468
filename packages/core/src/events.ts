import { EventEmitter } from 'eventemitter3';
import type { Attribution } from './attribution.js';
import type { CostBreakdown, NormalizedUsage } from './cost.js';
import type { BudgetScope } from './errors.js';
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
  /** For `budget:exceeded`: the refused or overrunning amount. */
  requested?: NanoUsd;
}

/** Lifecycle of a run. */
export interface RunStartEvent {
  runId: string;
  job?: unknown;
}
export interface RunEndEvent {
  runId: string;
  status: 'done' | 'failed' | 'aborted' | 'budget_exceeded';
  cost: NanoUsd;
  error?: Error;
}
export interface PlanReadyEvent {
  runId: string;
  plan: unknown;
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

/** Every event haiku-army emits, keyed by name (noun first). One object per payload. */
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
}

/** The event names. */
export type ArmyEventName = keyof ArmyEventMap;

/** A typed event emitter shared by the gateway, budget, pool and orchestrator. */
export class ArmyEvents extends EventEmitter<ArmyEventMap> {}

/** Creates a typed event emitter. */
export function createEvents(): ArmyEvents {
  return new ArmyEvents();
}
