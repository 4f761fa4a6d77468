import { ArmyError, type BudgetExceededError } from '@haiku-army/core';
import type { RunHandle, RunResult } from '@haiku-army/orchestrator';
import { type ArmyConfig, journalDir } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import type { Connection } from '../connection.js';
import { EXIT } from '../constants.js';
import { toJson } from '../errors.js';
import { renderBill } from '../view/bill.js';
import { countsTotal, money, plural, seconds } from '../view/format.js';
import type { RestoredSubtask } from '../view/run-progress.js';
import { RunView } from '../view/run-view.js';

/** How `army run` and `army resume` show a run. */
export interface WatchOptions {
  io: ResolvedIo;
  setup: ArmyConfig;
  connection: Connection;
  /** Print the RunResult as one JSON object instead of the bill. */
  json: boolean;
  job: string;
  budget?: number;
  batch?: boolean;
  /** Aborts the run (wired to Ctrl-C). */
  controller: AbortController;
  /** A map (`army map`): event lines per chunk and per failure, not per item (see RunViewOptions.quiet). */
  quiet?: boolean;
  /** `army resume`: the subtasks the run keeps and what it had spent before. */
  restored?: { results: readonly RestoredSubtask[]; spent: number };
}

/** The planner's call was refused by the budget before anything ran. */
function plannerRefusal(result: RunResult): BudgetExceededError | undefined {
  if (result.status !== 'budget_exceeded' || result.cost.tree.planner.calls > 0) return undefined;
  return ArmyError.is(result.error, 'BUDGET_EXCEEDED')
    ? (result.error as BudgetExceededError)
    : undefined;
}

/** The exit code of a run that ended with `result` (`interrupted`: by Ctrl-C). */
export function exitCodeFor(result: RunResult, interrupted: boolean): number {
  switch (result.status) {
    case 'done':
      return EXIT.OK;
    case 'partial':
      return EXIT.PARTIAL;
    case 'cancelled':
      return interrupted ? EXIT.INTERRUPTED : EXIT.FAILED;
    default:
      return EXIT.FAILED;
  }
}

/**
 * Shows a run while it goes (live view or event lines on stderr), then its
 * bill (or `--json`'s one object) on stdout. Ctrl-C aborts it: what finished
 * is printed with what it cost, and the journal is left for `army resume`.
 * Resolves with the exit code.
 */
export async function watchRun(handle: RunHandle, options: WatchOptions): Promise<number> {
  const { io, setup, connection, controller } = options;
  const mode = `${connection.offline ? 'offline (fake API)' : 'live API'}${options.batch ? ', batch' : ''}${options.restored ? ', resumed' : ''}`;
  // A terminal without a size (rows 0) cannot redraw in place: event lines then.
  const live = io.stderr.isTTY === true && io.stderr.rows !== 0;
  // The event lines name the run as it starts; the live view shows only its first characters.
  if (live)
    io.err(
      `Run ${handle.runId}, journaled in ${setup.journal} (army resume ${handle.runId}${journalFlag(setup, io)} continues it).`,
    );
  const view = new RunView({
    io,
    runId: handle.runId,
    job: options.job,
    mode,
    inFlight: () => setup.gateway.inFlight,
    events: setup.gateway.events,
    live,
    ...(options.quiet ? { quiet: true } : {}),
    ...(options.budget !== undefined ? { budget: options.budget } : {}),
    ...(options.restored ? { restored: options.restored } : {}),
  });
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    view.cancelling();
    controller.abort();
  };
  if (io.interrupt.aborted) onInterrupt();
  else io.interrupt.addEventListener('abort', onInterrupt, { once: true });
  const consuming = (async () => {
    for await (const event of handle) view.onEvent(event);
  })().catch(() => {});
  let result: RunResult;
  try {
    result = await handle;
  } finally {
    await consuming;
    view.stop();
    io.interrupt.removeEventListener('abort', onInterrupt);
  }
  const refused = plannerRefusal(result);
  if (options.json) io.out(toJson(result));
  // Nothing ran: no bill, only the line that says what to raise the budget to.
  else if (!refused) io.out(renderBill(result));
  if (refused) {
    io.err(
      `army: --budget ${money(refused.limit)} is below the first call's reservation: the planner call needs at least ${money(refused.minimum)} (its worst case is ${money(refused.requested)}); raise --budget to at least ${money(refused.minimum)}, or pick a cheaper --planner.`,
    );
    return EXIT.USAGE;
  }
  // A streamed map keeps counts, not its results.
  const counts = result.counts;
  const finished = counts
    ? counts.done + counts.partial + counts.failed
    : result.subtasks.filter((subtask) => ['done', 'partial', 'failed'].includes(subtask.status))
        .length;
  const total = counts ? countsTotal(counts) : result.plan.subtasks.length;
  const took = seconds(result.endedAt - result.startedAt);
  if (result.status === 'cancelled') {
    io.err(
      `Cancelled run ${result.runId} after ${took}: ${finished} of ${plural(total, 'subtask')} finished, ${money(result.cost.total)} spent. Continue it with: army resume ${result.runId}${journalFlag(setup, io)}`,
    );
  } else {
    const why = result.error ? `: ${result.error.message}` : '';
    io.err(
      `Run ${result.runId} ${result.status} in ${took}, ${money(result.cost.total)}${result.status === 'done' ? '' : why}. Report: army report ${result.runId}${journalFlag(setup, io)}`,
    );
  }
  return exitCodeFor(result, interrupted);
}

/** ` --journal DIR` when the journal is not where `army` looks by default. */
function journalFlag(setup: ArmyConfig, io: ResolvedIo): string {
  return setup.journal === journalDir(undefined, io)
    ? ''
    : ` --journal ${JSON.stringify(setup.journal)}`;
}
