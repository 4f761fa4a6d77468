import type { RoutePick, Router, RouterAttempt, RouterContext, RouterSubtask } from './router.js';

/** What one attempt returns to {@link routeAttempts}. */
export type AttemptOutcome = Omit<RouterAttempt, 'model' | 'reason'>;

/** Options for {@link routeAttempts}. */
export interface RouteAttemptsOptions {
  runId: string;
  /** Read before every pick, nano-USD; undefined = no cap. @default () => undefined */
  remainingBudget?: () => number | undefined;
  /** Stops before the next attempt once aborted. */
  signal?: AbortSignal;
  /** A hard stop on attempts, whatever the router says. @default 10 */
  maxAttempts?: number;
}

/** The history {@link routeAttempts} returns. */
export interface RoutedAttempts {
  /** Every attempt, oldest first; a rejected one carries its `reason`. */
  attempts: RouterAttempt[];
  /** The pick behind each attempt, same order. */
  picks: RoutePick[];
  /** The accepted attempt, when one was. */
  accepted: RouterAttempt | undefined;
}

/**
 * The loop an orchestrator runs for one subtask: pick, run the attempt,
 * judge it with the router's `accept` (or the worker's status when the
 * router has none), and pick again after a rejection until one is accepted
 * or the router gives up (`null`).
 */
export async function routeAttempts(
  router: Router,
  subtask: RouterSubtask,
  run: (pick: RoutePick, attempt: number) => Promise<AttemptOutcome>,
  options: RouteAttemptsOptions,
): Promise<RoutedAttempts> {
  const attempts: RouterAttempt[] = [];
  const picks: RoutePick[] = [];
  const max = options.maxAttempts ?? 10;
  while (attempts.length < max && !options.signal?.aborted) {
    const context = (): RouterContext => ({
      runId: options.runId,
      remainingBudget: options.remainingBudget?.(),
      attempts: [...attempts],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const pick = await router.pick(subtask, context());
    if (!pick) break;
    picks.push(pick);
    const outcome = await run(pick, attempts.length + 1);
    const attempt: RouterAttempt = { ...outcome, model: pick.model };
    const verdict = router.accept
      ? await router.accept(subtask, attempt, context())
      : { ok: attempt.status === 'done', reason: `the worker reported ${attempt.status}` };
    if (verdict.ok) {
      attempts.push(attempt);
      return { attempts, picks, accepted: attempt };
    }
    attempts.push({ ...attempt, reason: verdict.reason });
  }
  return { attempts, picks, accepted: undefined };
}
