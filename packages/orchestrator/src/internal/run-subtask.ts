import {
  AbortError,
  type ArmyEvents,
  addCost,
  BudgetExceededError,
  type CostBreakdown,
  type ModelGateway,
  zeroCost,
} from '@haiku-army/core';
import {
  type Brief,
  renderBrief,
  type SubtaskDependencies,
  type WorkerResult,
  type WorkerTask,
} from '@haiku-army/worker';
import type * as z from 'zod';
import { ESCALATABLE_CODES } from '../constants.js';
import type { PlanSubtask } from '../plan.js';
import type {
  RoutePick,
  Router,
  RouterAttempt,
  RouterContext,
  RouterSubtask,
} from '../router-types.js';
import type { AttemptResult, SubtaskResult } from '../run-result.js';
import { dependencyGuidance } from './prompts.js';
import type { RateLimitWatch } from './rate-limit-watch.js';

/** The `untracked` entry of an attempt whose result carried no dependency record. */
const UNRECORDED = '(the worker reported no dependency record)';
const TRANSIENT_PICK = '(the router picked the model from the run’s state, e.g. the budget left)';
const FALLBACK_PICK = '(a rate-limited model was swapped for its fallback)';

/** What running one subtask needs from its run. */
export interface SubtaskRunContext {
  runId: string;
  gateway: ModelGateway;
  /** Runs each attempt: the run's worker pool, or its backend. */
  pool: {
    submit(task: WorkerTask, options?: { signal?: AbortSignal }): Promise<WorkerResult>;
  };
  router: Router;
  events: ArmyEvents;
  maxAttempts: number;
  summaryTokenCap: number;
  rateLimits: RateLimitWatch;
  rateLimitFallback: Readonly<Record<string, string>>;
  rateLimitFallbackAfterMs: number;
  /** The schema of `data`, when the subtasks have one (`army.map(..., { output })`). */
  output?: z.ZodType | undefined;
  signal: AbortSignal;
  /** Receives what each attempt's worker read and wrote (for the result cache). */
  onDependencies?(dependencies: SubtaskDependencies): void;
  /** Called when a run-scope budget cap refused a call. */
  onRunBudgetExceeded(error: BudgetExceededError): void;
  /**
   * The router's pick for attempt 1, made already (see {@link firstAttempt}):
   * the router is not asked again for it. `sentAhead`: its first call is in
   * a batch already, so a rate-limit fallback does not swap its model.
   */
  firstPick?: { pick: RoutePick; sentAhead: boolean } | undefined;
}

/** The brief a worker gets: the planner's, plus its dependencies' results and the router's note. */
export function briefFor(
  subtask: PlanSubtask,
  dependencies: readonly SubtaskResult[],
  note?: string,
): Brief {
  const guidance = [subtask.brief.guidance.trim()];
  if (dependencies.length > 0) guidance.push(dependencyGuidance(dependencies));
  if (note) guidance.push(`A previous attempt at this subtask was rejected: ${note}`);
  return {
    objective: subtask.brief.objective,
    outputFormat: subtask.brief.outputFormat,
    guidance: guidance.filter((part) => part.length > 0).join('\n\n'),
    boundaries: subtask.brief.boundaries,
  };
}

/** Why the router itself ended a subtask (its `pick` or `accept` threw). */
interface RouterFailure {
  cancelled: boolean;
  code: string;
  reason: string;
}

/**
 * Turns an error thrown by the router into the subtask's ending: a run
 * budget refusal halts the run, an abort cancels, anything else fails the
 * subtask with the router's error named; the work paid so far is kept.
 */
function routerFailure(
  step: 'pick' | 'accept',
  error: unknown,
  context: SubtaskRunContext,
): RouterFailure {
  const message = error instanceof Error ? error.message : String(error);
  const reason = `The router's ${step} threw: ${message}`;
  if (error instanceof BudgetExceededError) {
    if (error.scope !== 'task') context.onRunBudgetExceeded(error);
    return { cancelled: false, code: error.code, reason };
  }
  if (
    context.signal.aborted ||
    error instanceof AbortError ||
    (error instanceof Error && error.name === 'AbortError')
  )
    return { cancelled: true, code: 'ABORTED', reason };
  const code = (error as { code?: unknown } | undefined)?.code;
  return { cancelled: false, code: typeof code === 'string' ? code : 'ROUTER_ERROR', reason };
}

function routerAttemptOf(result: WorkerResult, reason?: string): RouterAttempt {
  return {
    model: result.model,
    status: result.status,
    summary: result.summary,
    cost: result.cost.total,
    ...(result.code !== undefined ? { code: result.code } : {}),
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/**
 * Runs one subtask to its final result: for every attempt the router picks
 * the model (a rate-limited model's sibling may take it), the worker runs
 * in the pool, and a rejected attempt (the router's `accept` says no, or the
 * worker failed with an escalatable code) goes back to the router with the
 * attempt history. Each escalation emits `task:escalate`.
 */
/** The subtask as the router sees it. */
function routedSubtask(
  subtask: PlanSubtask,
  dependencies: readonly SubtaskResult[],
  context: Pick<SubtaskRunContext, 'summaryTokenCap' | 'output'>,
): RouterSubtask {
  return {
    id: subtask.id,
    brief: renderBrief(briefFor(subtask, dependencies), {
      summaryTokenCap: context.summaryTokenCap,
    }),
    complexity: subtask.complexity,
    ...(subtask.tags ? { tags: subtask.tags } : {}),
    ...(context.output ? { output: context.output } : {}),
  };
}

/** The worker task of one attempt. */
function attemptTask(
  subtask: PlanSubtask,
  dependencies: readonly SubtaskResult[],
  model: string,
  number: number,
  note: string | undefined,
  output: z.ZodType | undefined,
): WorkerTask {
  return {
    id: subtask.id,
    brief: briefFor(subtask, dependencies, number > 1 ? note : undefined),
    model,
    attempt: number,
    ...(subtask.tags ? { tags: subtask.tags } : {}),
    ...(output ? { output } : {}),
  };
}

/**
 * Attempt 1 of a subtask with no dependencies, routed ahead of its run: the
 * router's pick (run the subtask with it as `firstPick`, so the router is
 * asked once) and, when its first call can be sent ahead, the worker task
 * it makes. No task when the pick is a model the catalog does not know (its
 * run reports that) or a rate-limited one its fallback may replace.
 * Undefined when the router picks nothing or throws: its run asks again and
 * reports that.
 */
export async function firstAttempt(
  subtask: PlanSubtask,
  context: Omit<SubtaskRunContext, 'firstPick'>,
): Promise<{ pick: RoutePick; task?: WorkerTask } | undefined> {
  if (subtask.dependsOn.length > 0) return undefined;
  let pick: RoutePick | null | undefined;
  try {
    pick = await context.router.pick(routedSubtask(subtask, [], context), {
      runId: context.runId,
      attempts: [],
      signal: context.signal,
      ...remainingBudget(context),
    });
  } catch {
    return undefined;
  }
  if (!pick) return undefined;
  if (!context.gateway.catalog.has(pick.model)) return { pick };
  const model = context.gateway.catalog.get(pick.model).id;
  if (context.rateLimitFallback[model] && context.rateLimits.isLimited(model)) return { pick };
  return { pick, task: attemptTask(subtask, [], model, 1, undefined, context.output) };
}

function remainingBudget(context: Pick<SubtaskRunContext, 'gateway' | 'runId'>): {
  remainingBudget?: number;
} {
  const remaining = context.gateway.budget?.status('run', context.runId)?.remaining;
  return remaining !== undefined ? { remainingBudget: remaining } : {};
}

export async function runSubtask(
  subtask: PlanSubtask,
  round: number,
  dependencies: readonly SubtaskResult[],
  context: SubtaskRunContext,
): Promise<SubtaskResult> {
  const { runId, router, events } = context;
  const routed = routedSubtask(subtask, dependencies, context);
  const history: RouterAttempt[] = [];
  const attempts: AttemptResult[] = [];
  const transcriptIds: string[] = [];
  let cost: CostBreakdown = zeroCost();
  let calls = 0;
  let last: WorkerResult | undefined;
  let rejection: string | undefined;
  let note: string | undefined;
  let failure: RouterFailure | undefined;
  const routerContext = (): RouterContext => ({
    runId,
    attempts: [...history],
    signal: context.signal,
    ...remainingBudget(context),
  });
  while (attempts.length < context.maxAttempts && !context.signal.aborted) {
    let pick: Awaited<ReturnType<Router['pick']>>;
    try {
      pick =
        attempts.length === 0 && context.firstPick
          ? context.firstPick.pick
          : await router.pick(routed, routerContext());
    } catch (error) {
      failure = routerFailure('pick', error, context);
      break;
    }
    if (!pick) break;
    let model = context.gateway.catalog.get(pick.model).id;
    let fallbackFrom: string | undefined;
    // A first attempt routed ahead keeps its model: its first call is in a batch already.
    const sibling =
      attempts.length === 0 && context.firstPick?.sentAhead
        ? undefined
        : context.rateLimitFallback[model];
    if (
      sibling &&
      context.rateLimits.isLimited(model) &&
      context.rateLimits.limitedFor(model) >= context.rateLimitFallbackAfterMs
    ) {
      fallbackFrom = model;
      model = sibling;
    }
    const number = attempts.length + 1;
    if (last) {
      events.emit('task:escalate', {
        runId,
        taskId: subtask.id,
        model,
        from: last.model,
        to: model,
        reason: rejection ?? pick.reason,
      });
    }
    note = pick.note ?? rejection;
    const result = await context.pool.submit(
      attemptTask(subtask, dependencies, model, number, note, context.output),
      { signal: context.signal },
    );
    last = result;
    // A result without a dependency record (a backend or pool that does not
    // carry one) cannot be re-checked later, so it makes the subtask uncacheable.
    const recorded = result.dependencies ?? {
      reads: [],
      queries: [],
      writes: [],
      untracked: [UNRECORDED],
    };
    // A model chosen from the moment (the budget left, a rate limit) is not
    // what a later run would pick: the subtask is not stored either.
    const momentary = pick.transient
      ? TRANSIENT_PICK
      : fallbackFrom !== undefined
        ? FALLBACK_PICK
        : undefined;
    context.onDependencies?.(
      momentary ? { ...recorded, untracked: [...recorded.untracked, momentary] } : recorded,
    );
    transcriptIds.push(result.transcriptId);
    cost = addCost(cost, result.cost);
    calls += result.calls;
    if (result.error instanceof BudgetExceededError && result.error.scope !== 'task')
      context.onRunBudgetExceeded(result.error);
    rejection = undefined;
    if (result.status === 'failed') {
      if (result.code !== undefined && ESCALATABLE_CODES.has(result.code))
        rejection = `${result.code}: ${result.reason ?? result.summary}`;
    } else if (router.accept) {
      try {
        const verdict = await router.accept(routed, routerAttemptOf(result), routerContext());
        if (!verdict.ok) rejection = verdict.reason;
      } catch (error) {
        failure = routerFailure('accept', error, context);
        rejection = failure.reason;
      }
    }
    attempts.push({
      attempt: number,
      model: result.model,
      status: result.status,
      summary: result.summary,
      routeReason: pick.reason,
      accepted: rejection === undefined,
      calls: result.calls,
      cost: result.cost,
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(fallbackFrom !== undefined ? { fallbackFrom } : {}),
      ...(rejection !== undefined ? { rejectedBecause: rejection } : {}),
    });
    history.push(routerAttemptOf(result, rejection));
    if (rejection === undefined || failure) break;
  }
  return finalResult(subtask, round, last, rejection, failure, {
    attempts,
    transcriptIds,
    cost,
    calls,
    cancelled: context.signal.aborted,
  });
}

function finalResult(
  subtask: PlanSubtask,
  round: number,
  last: WorkerResult | undefined,
  rejection: string | undefined,
  failure: RouterFailure | undefined,
  spent: {
    attempts: AttemptResult[];
    transcriptIds: string[];
    cost: CostBreakdown;
    calls: number;
    cancelled: boolean;
  },
): SubtaskResult {
  const base = {
    id: subtask.id,
    title: subtask.title,
    round,
    dependsOn: [...subtask.dependsOn],
    attempts: spent.attempts,
    transcriptIds: spent.transcriptIds,
    cost: spent.cost,
    calls: spent.calls,
  };
  if (failure) {
    const kept = last && last.status !== 'failed';
    return {
      ...base,
      status: failure.cancelled || spent.cancelled ? 'cancelled' : kept ? 'partial' : 'failed',
      summary: last?.summary ?? `Failed: ${failure.reason}`,
      ...(last ? { model: last.model } : {}),
      code: failure.code,
      reason: failure.reason,
    };
  }
  if (!last) {
    return spent.cancelled
      ? {
          ...base,
          status: 'cancelled',
          summary: 'Cancelled before it started.',
          code: 'ABORTED',
          reason: 'The run was cancelled.',
        }
      : {
          ...base,
          status: 'failed',
          summary: 'The router picked no model.',
          code: 'NO_ROUTE',
          reason: 'The router returned no model for the first attempt.',
        };
  }
  const cancelled = last.code === 'ABORTED';
  const status = cancelled
    ? 'cancelled'
    : rejection !== undefined && last.status !== 'failed'
      ? 'partial'
      : last.status;
  return {
    ...base,
    status,
    summary: last.summary,
    model: last.model,
    ...(last.data !== undefined && rejection === undefined ? { data: last.data } : {}),
    ...(rejection !== undefined && last.status !== 'failed'
      ? { code: 'REJECTED', reason: rejection }
      : {
          ...(last.code !== undefined ? { code: last.code } : {}),
          ...(last.reason !== undefined ? { reason: last.reason } : {}),
        }),
  };
}
