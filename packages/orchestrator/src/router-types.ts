/**
 * The router interface the orchestrator calls for every attempt of a
 * subtask, declared here verbatim from the cross-team contract until
 * `@haiku-army/router` is merged; the integrator replaces this file with
 * re-exports from that package.
 */
import type * as z from 'zod';

/** The planner's complexity label of a subtask. */
export type Complexity = 'simple' | 'moderate' | 'complex';

/** What the router sees of a subtask. */
export interface RouterSubtask {
  id: string;
  /** The rendered brief text. */
  brief: string;
  /** The planner's label. */
  complexity?: Complexity;
  tags?: readonly string[];
  /** Schema of `data`, when the subtask has one. */
  output?: z.ZodType;
}

/** One finished attempt of a subtask. */
export interface RouterAttempt {
  model: string;
  status: 'done' | 'partial' | 'failed';
  code?: string;
  summary: string;
  data?: unknown;
  /** nano-USD spent by that attempt. */
  cost: number;
  /** Why it was rejected, when it was. */
  reason?: string;
}

/** What the router knows about the run when it picks. */
export interface RouterContext {
  runId: string;
  /** nano-USD; undefined = no cap. */
  remainingBudget?: number;
  /** Earlier attempts of this subtask, oldest first. */
  attempts: readonly RouterAttempt[];
  signal?: AbortSignal;
}

/** The model picked for the next attempt. */
export interface RoutePick {
  model: string;
  reason: string;
  /** A short note for the next attempt's brief (why the last one was rejected). */
  note?: string;
}

/** Whether an attempt's result is good enough. */
export interface Acceptance {
  ok: boolean;
  reason: string;
}

/** Picks the model of each attempt, and optionally judges each attempt. */
export interface Router {
  readonly name: string;
  pick(subtask: RouterSubtask, context: RouterContext): Promise<RoutePick | null>;
  accept?(
    subtask: RouterSubtask,
    attempt: RouterAttempt,
    context: RouterContext,
  ): Promise<Acceptance>;
}
