import type { NanoUsd } from '@haiku-army/core';
import type { ArmyStreamEvent, SubtaskResult } from '@haiku-army/orchestrator';

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

const FINAL_STATES = new Set(['done', 'partial', 'failed', 'skipped', 'cancelled']);

/** A run's progress, folded from its events (the live view and the event lines read it). */
export class RunProgress {
  readonly subtasks = new Map<string, SubtaskProgress>();
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

  #subtask(id: string): SubtaskProgress {
    let subtask = this.subtasks.get(id);
    if (!subtask) {
      subtask = { id, state: 'queued', cost: 0, calls: 0 };
      this.subtasks.set(id, subtask);
    }
    return subtask;
  }

  /** Subtasks in a state. */
  count(...states: SubtaskProgress['state'][]): number {
    let count = 0;
    for (const subtask of this.subtasks.values()) if (states.includes(subtask.state)) count += 1;
    return count;
  }

  /** Subtasks that have finished, one way or another. */
  get finished(): number {
    let count = 0;
    for (const subtask of this.subtasks.values()) if (FINAL_STATES.has(subtask.state)) count += 1;
    return count;
  }

  /** The most expensive subtasks so far, dearest first. */
  top(limit: number): SubtaskProgress[] {
    return [...this.subtasks.values()]
      .filter((subtask) => subtask.cost > 0)
      .sort((a, b) => b.cost - a.cost || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  /**
   * Starts from what a resumed run keeps: its finished subtasks (they emit no
   * events again) and what the run had spent, so the counts and the budget
   * bar cover the whole run.
   */
  restore(results: readonly SubtaskResult[], spent: NanoUsd): void {
    for (const result of results) {
      const subtask = this.#subtask(result.id);
      subtask.state = result.status;
      subtask.cost = result.cost.total;
      subtask.calls = result.calls;
      if (result.model) subtask.model = result.model;
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
      case 'task:queued':
        this.#subtask(event.taskId).state = 'queued';
        break;
      case 'task:start': {
        const subtask = this.#subtask(event.taskId);
        subtask.state = 'running';
        if (event.model) subtask.model = event.model;
        break;
      }
      case 'task:escalate':
        this.escalations += 1;
        this.#subtask(event.taskId).model = event.to;
        break;
      case 'task:end': {
        const subtask = this.#subtask(event.taskId);
        subtask.state = (
          FINAL_STATES.has(event.status) ? event.status : 'failed'
        ) as SubtaskProgress['state'];
        if (event.model) subtask.model = event.model;
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
        if (role === 'worker') {
          const subtask = this.#subtask(event.attribution.taskId);
          subtask.cost += cost;
          subtask.calls += 1;
          subtask.model ??= event.model;
          if (subtask.state === 'queued') subtask.state = 'running';
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
