import type { ZodType } from 'zod';

/** The planner's label for how hard a subtask is. */
export type Complexity = 'simple' | 'moderate' | 'complex';

/** Every complexity label, easiest first. */
export const COMPLEXITIES: readonly Complexity[] = ['simple', 'moderate', 'complex'];

/** What a router sees of a subtask. */
export interface RouterSubtask {
  id: string;
  /** The rendered brief text. */
  brief: string;
  /** The planner's label. */
  complexity?: Complexity;
  tags?: readonly string[];
  /** Schema of `data`, when the subtask has one. */
  output?: ZodType;
}

/** One finished attempt of a subtask, as the router is told about it. */
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

/** What a router knows about the run when it picks. */
export interface RouterContext {
  runId: string;
  /** nano-USD; undefined = no cap. */
  remainingBudget?: number;
  /** Earlier attempts of this subtask, oldest first. */
  attempts: readonly RouterAttempt[];
  signal?: AbortSignal;
}

/** A router's choice for the next attempt. */
export interface RoutePick {
  model: string;
  reason: string;
  /** A short note for the next attempt's brief (why the last one was rejected). */
  note?: string;
  /**
   * The pick depended on the run's state (e.g. the budget left), not only on
   * the subtask and the router's configuration: the result cache does not
   * store the subtask, since a later run in another state would pick otherwise.
   */
  transient?: boolean;
}

/** A validator's verdict on an attempt. */
export interface Acceptance {
  ok: boolean;
  reason: string;
}

/**
 * Picks the model for every attempt of a subtask. `pick` returning `null`
 * means give up. `accept`, when present, judges a finished attempt (the
 * validator a cascade uses to decide whether to escalate).
 */
export interface Router {
  readonly name: string;
  /**
   * What decides this router's picks (its models, map, rules), as a stable
   * string: the orchestrator's result cache keys a subtask on it, so a
   * changed configuration re-runs the subtask. Without one, a run with this
   * router caches no subtask result (a reuse could come from another model).
   */
  readonly fingerprint?: string;
  pick(subtask: RouterSubtask, context: RouterContext): Promise<RoutePick | null>;
  accept?(
    subtask: RouterSubtask,
    attempt: RouterAttempt,
    context: RouterContext,
  ): Promise<Acceptance>;
}

/**
 * A router that scores a subtask in [0, 1] (higher = more reason to use the
 * strong model) and picks the strong model at or above its threshold.
 * `evaluateRouter` draws the whole quality curve of a scoring router.
 */
export interface ScoringRouter extends Router {
  /** The score at or above which `pick` chooses the strong model. */
  readonly threshold: number;
  score(subtask: RouterSubtask): number | Promise<number>;
}

/** True when a router exposes `score` (and so a whole threshold curve). */
export function isScoringRouter(router: Router): router is ScoringRouter {
  return typeof (router as Partial<ScoringRouter>).score === 'function';
}
