import type { NanoUsd } from '@haiku-army/core';
import type { ArmyStreamEvent, SubtaskOutcome, SubtaskResult } from '@haiku-army/orchestrator';

/** What the views know about one subtask. */
export interface SubtaskProgress {
  id: string;
  state: 'queued' | 'running' | 'done' | 'partial' | 'failed' | 'skipped' | 'cancelled';
  model?: string;
  cost: NanoUsd;
  calls: number;
}

/** The last budget threshold event. */
export interface BudgetNotice {
  level: 'warning' | 'critical' | 'exceeded';
  spent: NanoUsd;
  limit: NanoUsd;
}

type State = SubtaskProgress['state'];

/** A resumed run's kept subtask: its outcome, and what it cost when known (a long map's resume knows only outcomes). */
export type RestoredSubtask = Pick<SubtaskOutcome, 'id' | 'status'> &
  Partial<Pick<SubtaskResult, 'cost' | 'calls' | 'model'>>;

const FINAL_STATES = new Set<string>(['done', 'partial', 'failed', 'skipped', 'cancelled']);

/** Finished subtasks kept for `top` (more than any view shows). */
const TOP_KEPT = 16;

/**
 * A run's progress, folded from its events (the live view and the event
 * lines read it). Only unfinished subtasks are held one by one: a finished
 * one is folded into the counts (and the few dearest kept for `top`), so a
 * 100,000-item map's progress takes the memory of what is in flight, not of
 * every item.
 */
export class RunProgress {
  /** Subtasks not finished yet, by id. */
  readonly #open = new Map<string, SubtaskProgress>();
  readonly #counts: Record<State, number> = {
    queued: 0,
    running: 0,
    done: 0,
    partial: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  /** The dearest finished subtasks, dearest first (at most TOP_KEPT). */
  #dearest: SubtaskProgress[] = [];
  /** Subtasks seen so far (each id once while it is open). */
  known = 0;
  /** Subtasks the plan (every round so far) holds. */
  planned = 0;
  rounds = 0;
  callsEnded = 0;
  retries = 0;
  escalations = 0;
  /** What the billed calls cost so far, nano-USD. */
  cost: NanoUsd = 0;
  /** Per role (planner, worker, synthesizer, router). */
  readonly costByRole = new Map<string, NanoUsd>();
  budget: BudgetNotice | undefined;
  /** Batch requests submitted and not yet collected. */
  batchRequestsOpen = 0;
  batches = 0;
  ended = false;

  /** An open subtask (a new one starts queued). */
  #subtask(id: string): SubtaskProgress {
    let subtask = this.#open.get(id);
    if (!subtask) {
      subtask = { id, state: 'queued', cost: 0, calls: 0 };
      this.#open.set(id, subtask);
      this.#counts.queued += 1;
      this.known += 1;
    }
    return subtask;
  }

  /** Moves a subtask to a state; a final one leaves the open set for the counts. */
  #move(subtask: SubtaskProgress, state: State): void {
    this.#counts[subtask.state] -= 1;
    this.#counts[state] += 1;
    subtask.state = state;
    if (!FINAL_STATES.has(state)) return;
    this.#open.delete(subtask.id);
    if (subtask.cost <= 0) return;
    const last = this.#dearest.at(-1);
    if (this.#dearest.length >= TOP_KEPT && last && byCost(subtask, last) >= 0) return;
    this.#dearest.push(subtask);
    this.#dearest.sort(byCost);
    if (this.#dearest.length > TOP_KEPT) this.#dearest.pop();
  }

  /** Subtasks in a state. */
  count(...states: State[]): number {
    let count = 0;
    for (const state of states) count += this.#counts[state];
    return count;
  }

  /** Subtasks that have finished, one way or another. */
  get finished(): number {
    return this.count('done', 'partial', 'failed', 'skipped', 'cancelled');
  }

  /** The most expensive subtasks so far, dearest first. */
  top(limit: number): SubtaskProgress[] {
    const open = [...this.#open.values()].filter((subtask) => subtask.cost > 0);
    return [...this.#dearest, ...open].sort(byCost).slice(0, limit);
  }

  /**
   * Starts from what a resumed run keeps: its finished subtasks (they emit no
   * events again) and what the run had spent, so the counts and the budget
   * bar cover the whole run.
   */
  restore(results: readonly RestoredSubtask[], spent: NanoUsd): void {
    for (const result of results) {
      const subtask = this.#subtask(result.id);
      subtask.cost = result.cost?.total ?? 0;
      subtask.calls = result.calls ?? 0;
      if (result.model) subtask.model = result.model;
      this.#move(subtask, result.status);
    }
    this.cost += spent;
  }

  /** Folds one event in. */
  apply(event: ArmyStreamEvent): void {
    switch (event.type) {
      case 'plan:ready': {
        const plan = event.plan as { round?: number; subtasks?: { id: string }[] } | undefined;
        const subtasks = plan?.subtasks ?? [];
        this.planned += subtasks.length;
        this.rounds = Math.max(this.rounds, plan?.round ?? this.rounds + 1);
        break;
      }
      case 'task:queued': {
        const subtask = this.#subtask(event.taskId);
        this.#move(subtask, 'queued');
        break;
      }
      case 'task:start': {
        const subtask = this.#subtask(event.taskId);
        this.#move(subtask, 'running');
        if (event.model) subtask.model = event.model;
        break;
      }
      case 'task:escalate':
        this.escalations += 1;
        this.#subtask(event.taskId).model = event.to;
        break;
      case 'task:end': {
        const subtask = this.#subtask(event.taskId);
        if (event.model) subtask.model = event.model;
        this.#move(subtask, (FINAL_STATES.has(event.status) ? event.status : 'failed') as State);
        break;
      }
      case 'call:retry':
        this.retries += 1;
        break;
      case 'call:end': {
        this.callsEnded += 1;
        const cost = event.cost?.total ?? 0;
        this.cost += cost;
        const role = event.attribution.role;
        this.costByRole.set(role, (this.costByRole.get(role) ?? 0) + cost);
        // A call of a subtask not open (ended, say a call sent ahead and
        // given up; or not queued yet) counts in the totals only: a finished
        // subtask is not held, and opening it again would count it twice.
        const subtask = role === 'worker' ? this.#open.get(event.attribution.taskId) : undefined;
        if (subtask) {
          subtask.cost += cost;
          subtask.calls += 1;
          subtask.model ??= event.model;
          if (subtask.state === 'queued') this.#move(subtask, 'running');
        }
        break;
      }
      case 'budget:warning':
      case 'budget:critical':
      case 'budget:exceeded':
        if (event.scope === 'run')
          this.budget = {
            level: event.type.slice('budget:'.length) as BudgetNotice['level'],
            spent: event.spent,
            limit: event.limit,
          };
        break;
      case 'run:end':
        this.ended = true;
        break;
      default:
        break;
    }
  }

  /** Folds in a batch event (they carry no run id; a CLI run is the only one in its process). */
  applyBatch(event: { type: 'submitted'; requests: number } | { type: 'ended'; requests: number }) {
    if (event.type === 'submitted') {
      this.batches += 1;
      this.batchRequestsOpen += event.requests;
    } else this.batchRequestsOpen = Math.max(0, this.batchRequestsOpen - event.requests);
  }
}

function byCost(a: SubtaskProgress, b: SubtaskProgress): number {
  return b.cost - a.cost || a.id.localeCompare(b.id);
}
