import { setMaxListeners } from 'node:events';
import { zeroCost } from '@haiku-army/core';
import type { FailurePolicy } from '../army-options.js';
import type { PlanSubtask } from '../plan.js';
import type { ReadyQueue } from '../ready-queue.js';
import type { SubtaskResult } from '../run-result.js';

/** What one round of scheduling needs. */
export interface DagSchedulerOptions {
  subtasks: readonly PlanSubtask[];
  /** Results of earlier rounds, which this round's subtasks may depend on. */
  earlier: ReadonlyMap<string, SubtaskResult>;
  round: number;
  concurrency: number;
  queue: ReadyQueue;
  failurePolicy: FailurePolicy;
  /** The run's cancellation. */
  signal: AbortSignal;
  /** Why no further subtask may start (e.g. the run's budget ran out), or undefined. */
  stopReason(): { code: string; reason: string } | undefined;
  /**
   * Runs one subtask to its final result (it must honour the signal
   * `signal()` returns: made on the first call, so a subtask that waits
   * long before it does anything holds none).
   */
  execute(
    subtask: PlanSubtask,
    dependencies: SubtaskResult[],
    signal: () => AbortSignal,
  ): Promise<SubtaskResult>;
  /** A subtask became ready (its dependencies finished). */
  onReady(subtask: PlanSubtask): void;
  /** The round stopped early (cancelled, fail-fast, a failed callback): running subtasks are being aborted. */
  onAbort?(reason: unknown): void;
  /** A subtask has its final result; awaited before its dependents are released. */
  onFinished(result: SubtaskResult): Promise<void>;
}

/** What a round ended with. */
export interface DagOutcome {
  results: SubtaskResult[];
  /** The failure that stopped the round under `fail-fast`. */
  failedFast?: SubtaskResult;
}

const SUCCEEDED = new Set(['done', 'partial']);

/** The result of a subtask that never ran, saying why. */
export function notRunResult(
  subtask: PlanSubtask,
  round: number,
  status: 'skipped' | 'cancelled',
  code: string,
  reason: string,
): SubtaskResult {
  return {
    id: subtask.id,
    title: subtask.title,
    round,
    status,
    summary: `Not run: ${reason}`,
    code,
    reason,
    dependsOn: [...subtask.dependsOn],
    attempts: [],
    calls: 0,
    cost: zeroCost(),
    transcriptIds: [],
  };
}

/**
 * Runs a DAG of subtasks: a subtask enters the ready queue the moment its
 * dependencies have finished, and is started as soon as a slot is free
 * (at most `concurrency` at once). A failed dependency skips its dependents
 * (`continue`) or stops the round (`fail-fast`); cancellation stops queued
 * work and aborts running work, and every subtask still gets a result.
 */
export async function runDag(options: DagSchedulerOptions): Promise<DagOutcome> {
  const { subtasks, earlier, queue, round } = options;
  const byId = new Map(subtasks.map((subtask) => [subtask.id, subtask]));
  const unmet = new Map<string, Set<string>>();
  const dependents = new Map<string, string[]>();
  const results = new Map<string, SubtaskResult>();
  const controller = new AbortController();
  // Every running subtask listens to it: hundreds at once is expected.
  setMaxListeners(0, controller.signal);
  const forward = () => controller.abort(options.signal.reason);
  const onAbort = options.onAbort;
  if (onAbort)
    controller.signal.addEventListener('abort', () => onAbort(controller.signal.reason), {
      once: true,
    });
  if (options.signal.aborted) forward();
  else options.signal.addEventListener('abort', forward, { once: true });
  let failedFast: SubtaskResult | undefined;
  /** A failure of the scheduler's own callbacks (a recorder that cannot write): it ends the round. */
  let fatal: { error: unknown } | undefined;
  let inflight = 0;
  /** Ids pushed and not yet shifted: an asynchronous queue may answer a shift before a push lands. */
  let pending = 0;
  /** Pushes not yet settled. */
  let pushing = 0;
  /** Something changed (a subtask ended, an id was pushed) since the loop last looked. */
  let signalled = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    signalled = true;
    wake?.();
  };

  const notRun = (
    subtask: PlanSubtask,
    status: 'skipped' | 'cancelled',
    code: string,
    reason: string,
  ): SubtaskResult => notRunResult(subtask, round, status, code, reason);

  const ready = async (subtask: PlanSubtask): Promise<void> => {
    options.onReady(subtask);
    pending += 1;
    pushing += 1;
    try {
      await queue.push(subtask.id);
    } finally {
      pushing -= 1;
      notify();
    }
  };

  const settle = async (result: SubtaskResult): Promise<void> => {
    if (results.has(result.id)) return;
    results.set(result.id, result);
    await options.onFinished(result);
    if (result.status === 'failed' && options.failurePolicy === 'fail-fast' && !failedFast) {
      failedFast = result;
      controller.abort(new Error(`Subtask "${result.id}" failed and failurePolicy is fail-fast.`));
    }
    for (const id of dependents.get(result.id) ?? []) {
      const dependent = byId.get(id)!;
      if (results.has(id)) continue;
      if (!SUCCEEDED.has(result.status)) {
        await settle(
          notRun(
            dependent,
            'skipped',
            'DEPENDENCY_FAILED',
            `it depends on "${result.id}", which ended ${result.status}.`,
          ),
        );
        continue;
      }
      const waiting = unmet.get(id)!;
      waiting.delete(result.id);
      if (waiting.size === 0 && !halted()) await ready(dependent);
    }
  };

  const halted = () =>
    fatal !== undefined || controller.signal.aborted || options.stopReason() !== undefined;

  const start = (id: string): void => {
    const subtask = byId.get(id)!;
    inflight += 1;
    void (async () => {
      try {
        const dependencies = subtask.dependsOn.map(
          (dependency) => results.get(dependency) ?? earlier.get(dependency)!,
        );
        let result: SubtaskResult;
        try {
          // A signal of its own per subtask: every listener a subtask adds (the pool adds one)
          // would otherwise sit on the round's one signal, and Node's EventTarget scans its
          // listeners on each add, which is quadratic in a 10,000-subtask batch chunk.
          // AbortSignal.any links by reference, with no listener on the round's signal.
          let own: AbortSignal | undefined;
          result = await options.execute(subtask, dependencies, () => {
            own ??= AbortSignal.any([controller.signal]);
            return own;
          });
        } catch (error) {
          // A router or tool set that throws (an unknown model, say) fails this subtask, not the run.
          const code = (error as { code?: unknown } | undefined)?.code;
          const reason = error instanceof Error ? error.message : String(error);
          result = {
            ...notRun(
              subtask,
              'skipped',
              typeof code === 'string' ? code : 'INTERNAL_ERROR',
              reason,
            ),
            status: 'failed',
            summary: `Failed: ${reason}`,
          };
        }
        await settle(result);
      } catch (error) {
        fatal ??= { error };
        controller.abort(error);
      } finally {
        inflight -= 1;
        notify();
      }
    })();
  };

  // Wire the graph; subtasks whose dependencies are all met are ready now.
  const initiallyReady: PlanSubtask[] = [];
  const initiallyFailed: [PlanSubtask, SubtaskResult][] = [];
  for (const subtask of subtasks) {
    const waiting = new Set<string>();
    for (const dependency of subtask.dependsOn) {
      const previous = earlier.get(dependency);
      if (previous) {
        if (!SUCCEEDED.has(previous.status)) initiallyFailed.push([subtask, previous]);
        continue;
      }
      waiting.add(dependency);
      dependents.set(dependency, [...(dependents.get(dependency) ?? []), subtask.id]);
    }
    unmet.set(subtask.id, waiting);
    if (waiting.size === 0) initiallyReady.push(subtask);
  }
  for (const [subtask, previous] of initiallyFailed)
    await settle(
      notRun(
        subtask,
        'skipped',
        'DEPENDENCY_FAILED',
        `it depends on "${previous.id}", which ended ${previous.status}.`,
      ),
    );
  for (const subtask of initiallyReady)
    if (!results.has(subtask.id) && !halted()) await ready(subtask);

  // Leave only when nothing runs and nothing is waiting (or the run halted).
  for (;;) {
    signalled = false;
    let empty = false;
    while (inflight < options.concurrency && pending > 0 && !halted()) {
      const id = await queue.shift();
      if (id === undefined) {
        empty = true;
        break;
      }
      pending = Math.max(0, pending - 1);
      if (!results.has(id) && byId.has(id)) start(id);
    }
    if (inflight === 0 && pushing === 0 && (halted() || pending === 0 || (empty && !signalled)))
      break;
    if (signalled) continue;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
  options.signal.removeEventListener('abort', forward);
  if (fatal) throw fatal.error;

  // Whatever never ran gets a result saying why.
  await queue.drain();
  const stop = options.stopReason();
  for (const subtask of subtasks) {
    if (results.has(subtask.id)) continue;
    if (options.signal.aborted)
      await settle(notRun(subtask, 'cancelled', 'ABORTED', 'the run was cancelled.'));
    else if (failedFast)
      await settle(
        notRun(
          subtask,
          'skipped',
          'FAIL_FAST',
          `subtask "${failedFast.id}" failed and failurePolicy is fail-fast.`,
        ),
      );
    else if (stop) await settle(notRun(subtask, 'skipped', stop.code, stop.reason));
    else await settle(notRun(subtask, 'skipped', 'NOT_READY', 'its dependencies never finished.'));
  }
  return {
    results: subtasks.map((subtask) => results.get(subtask.id)!),
    ...(failedFast ? { failedFast } : {}),
  };
}
