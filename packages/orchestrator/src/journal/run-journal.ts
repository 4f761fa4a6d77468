import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArmyError,
  CostLedger,
  defaultCatalog,
  ERROR_CODES,
  type Logger,
  type ModelCatalog,
  type NanoUsd,
} from '@haiku-army/core';
import type { Artifact } from '../army-options.js';
import { compactResult } from '../internal/compact-result.js';
import { buildRunCost, cacheHitRate } from '../internal/cost-tree.js';
import type { PlanSubtask } from '../plan.js';
import {
  type RunResult,
  type RunStatus,
  type SubtaskOutcome,
  type SubtaskResult,
  zeroCounts,
} from '../run-result.js';
import { JOURNAL_FILE, restoreResult } from './journal-format.js';
import { journalPath, resolveJournalRoot, runDirectory } from './journal-root.js';
import { resultsKeptOnResume } from './kept-results.js';
import {
  type JournalState,
  journaledTimeline,
  outcomeOf,
  type ReadJournalOptions,
  readJournal,
} from './read-journal.js';

/** Options of {@link listRuns} and {@link loadRun}. */
export interface JournalReadOptions {
  /** The journal root. @default process.env.HAIKU_ARMY_JOURNAL ?? '.army/runs' (relative to process.cwd()) */
  journal?: string;
  /** Where warnings go (a torn line skipped, a journal that cannot be read). @default console */
  logger?: Logger;
  /** Prices for the rebuilt baseline of an interrupted run. @default core's default catalog */
  catalog?: ModelCatalog;
}

/** One run in a journal directory, as {@link listRuns} reports it. */
export interface RunSummary {
  runId: string;
  job: string;
  /** `interrupted`: started and never ended (its process was killed, or is still running). */
  status: RunStatus | 'interrupted';
  startedAt: number;
  endedAt?: number;
  /** Every journaled ledger entry of the run, nano-USD. */
  cost: NanoUsd;
  subtasks: {
    total: number;
    done: number;
    partial: number;
    failed: number;
    skipped: number;
    cancelled: number;
    /** Adopted and without a result yet. */
    unfinished: number;
  };
  mode: 'interactive' | 'batch';
  /**
   * A streamed map's items: how many it read from its iterable, and whether
   * it read to the end (then a resume needs no `items` to read on).
   */
  items?: { read: number; end: boolean };
  /** The run's options as journaled (planner, router name, concurrency, ...; never the API key). */
  options: Record<string, unknown>;
  /** The run's journal folder. */
  dir: string;
}

/** Every subtask the journal says the run adopted, all rounds, in order. */
export function adoptedSubtasks(state: JournalState): PlanSubtask[] {
  return [
    ...state.plans.flatMap((record) => record.plan.subtasks),
    ...state.chunks.flatMap((record) => record.subtasks),
  ];
}

/**
 * The result the journal's last run-end record holds. A streamed map's
 * record leaves out its subtasks; they are rebuilt (compact) from the
 * journal's subtask records.
 */
export function restoreJournaledResult(state: JournalState): RunResult<unknown> {
  const result = restoreResult(state.end!);
  if (!result.streamed) return result;
  const counts = zeroCounts();
  const subtasks: SubtaskResult[] = [];
  // Read with outcomes (a resume of a map that keeps none): no subtasks, as its run returned.
  const held: ReadonlyMap<string, SubtaskOutcome> = state.outcomes ?? state.results;
  for (const { id } of adoptedSubtasks(state)) {
    const kept = held.get(id);
    if (!kept) continue;
    counts[kept.status] += 1;
    if (!state.outcomes) subtasks.push(compactResult(state.results.get(id)!));
  }
  return { ...result, subtasks, counts };
}

function summarize(state: JournalState, dir: string): RunSummary {
  const counts = {
    total: 0,
    done: 0,
    partial: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    unfinished: 0,
  };
  const held: ReadonlyMap<string, SubtaskOutcome> = state.outcomes ?? state.results;
  for (const subtask of adoptedSubtasks(state)) {
    counts.total += 1;
    const result = held.get(subtask.id);
    if (result) counts[result.status] += 1;
    else counts.unfinished += 1;
  }
  const mode = state.start.options.mode === 'batch' ? 'batch' : 'interactive';
  const last = state.chunks.at(-1);
  return {
    runId: state.runId,
    job: state.start.job,
    status: (state.end?.status as RunStatus | undefined) ?? 'interrupted',
    startedAt: state.start.startedAt,
    ...(state.end ? { endedAt: state.end.endedAt } : {}),
    // Read for a resume, a long map's entries are packed in `journaled`.
    cost: state.journaled
      ? state.journaled.totals().cost.total
      : state.entries.reduce((sum, entry) => sum + entry.cost.total, 0),
    subtasks: counts,
    mode,
    ...(last ? { items: { read: last.from + last.count, end: last.end } } : {}),
    options: state.start.options,
    dir,
  };
}

/**
 * The runs in a journal directory, newest first, with status (`interrupted`
 * for one that never ended), start, end, cost and subtask counts. A missing
 * directory holds no runs; a journal that cannot be read is skipped with a
 * warning.
 *
 * @example for (const run of await listRuns()) console.log(run.runId, run.status, run.cost);
 */
export async function listRuns(options: JournalReadOptions = {}): Promise<RunSummary[]> {
  const root = resolveJournalRoot(options.journal)!;
  const logger = options.logger ?? console;
  const summaries: RunSummary[] = [];
  for (const name of runFolders(root)) {
    const dir = join(root, name);
    try {
      summaries.push(summarize(readJournal(join(dir, JOURNAL_FILE), logger, LIGHT), dir));
    } catch (error) {
      logger.warn(`Skipped the run journal in ${dir}: ${(error as Error).message}`);
    }
  }
  return summaries.sort((a, b) => b.startedAt - a.startedAt || a.runId.localeCompare(b.runId));
}

/**
 * The summary of one run (what {@link listRuns} lists for it), read from its
 * journal alone.
 *
 * @throws ArmyError `RUN_NOT_FOUND` (listing the known ids), `JOURNAL_INCOMPATIBLE`
 * @example const { status, cost } = await loadRunSummary(runId);
 */
export async function loadRunSummary(
  runId: string,
  options: JournalReadOptions = {},
): Promise<RunSummary> {
  const root = resolveJournalRoot(options.journal)!;
  const state = await openJournal(root, runId, options.logger ?? console, LIGHT);
  return summarize(state, runDirectory(root, runId));
}

/**
 * What a summary reads of a journal: as a resume does (a long map's
 * finished items as stand-ins, its entries packed), which counts the same.
 */
const LIGHT: ReadJournalOptions = { forResume: true };

/** What {@link loadKeptOnResume} returns. */
export interface KeptOnResume {
  /** As `loadRunSummary` gives it (from the same read). */
  summary: RunSummary;
  /** The outcome of every subtask a resume of the run keeps (see `resultsKeptOnResume`). */
  outcomes: SubtaskOutcome[];
  /** The latest (compact, for a streamed map) result of each kept subtask `whole` picked. */
  results: SubtaskResult[];
}

/**
 * What a resume of the run keeps, read as `army.resume` reads the journal
 * (a long map's memory is what is still to run, not every item): the run's
 * summary, each kept subtask's outcome, and the whole result of the kept
 * subtasks `whole` picks (say, those a results file lacks). One read,
 * cheaper than `loadRun` for a long map's journal.
 *
 * @throws ArmyError `RUN_NOT_FOUND` (listing the known ids), `JOURNAL_INCOMPATIBLE`
 * @example const { outcomes } = await loadKeptOnResume(runId); // how many a resume keeps
 */
export async function loadKeptOnResume(
  runId: string,
  options: JournalReadOptions & { whole?: (id: string) => boolean } = {},
): Promise<KeptOnResume> {
  const root = resolveJournalRoot(options.journal)!;
  const whole = options.whole ?? (() => false);
  const state = await openJournal(root, runId, options.logger ?? console, {
    forResume: true,
    whole,
  });
  const held: ReadonlyMap<string, SubtaskOutcome> = state.outcomes ?? state.results;
  const kept = resultsKeptOnResume(held.values());
  const results: SubtaskResult[] = [];
  for (const outcome of kept) {
    const result = whole(outcome.id) ? state.results.get(outcome.id) : undefined;
    if (result) results.push(result);
  }
  return {
    summary: summarize(state, runDirectory(root, runId)),
    outcomes: kept.map(outcomeOf),
    results,
  };
}

/** Names of the folders under `root` that hold a journal file. */
function runFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, JOURNAL_FILE)))
    .map((entry) => entry.name);
}

/** The error for a run id the journal root does not hold, listing the ones it does. */
export async function runNotFound(root: string, runId: string): Promise<ArmyError> {
  const known = (await listRuns({ journal: root, logger: { warn: () => {} } })).map(
    (run) => run.runId,
  );
  const shown = known.slice(0, 20).join(', ');
  const more = known.length > 20 ? ` and ${known.length - 20} more` : '';
  return new ArmyError(
    ERROR_CODES.RUN_NOT_FOUND,
    `No run "${runId}" in the journal ${root}. ` +
      (known.length === 0
        ? 'It holds no runs; pass the `journal` option the run was started with.'
        : `Known runs (newest first): ${shown}${more}.`),
  );
}

/**
 * Reads a run's journal.
 * @throws ArmyError `RUN_NOT_FOUND` (listing the known ids), `JOURNAL_INCOMPATIBLE`
 */
export async function openJournal(
  root: string,
  runId: string,
  logger: Logger,
  options: ReadJournalOptions = {},
): Promise<JournalState> {
  const path = journalPath(root, runId);
  if (!existsSync(path)) throw await runNotFound(root, runId);
  return readJournal(path, logger, options);
}

/** The files the journal says the run's subtasks wrote, in plan order. */
export function journaledArtifacts(state: JournalState): Artifact[] {
  return adoptedSubtasks(state).flatMap((subtask) => state.artifacts.get(subtask.id) ?? []);
}

/** What an interrupted run's journal holds, as a result: what finished, status `cancelled`, `interrupted: true`. */
function interruptedResult(state: JournalState, catalog: ModelCatalog): RunResult<unknown> {
  const adopted = adoptedSubtasks(state);
  const ids = adopted.map((subtask) => subtask.id);
  const cost = buildRunCost(state.entries, ids);
  const ledger = new CostLedger({ catalog });
  ledger.restore(state.entries);
  const planner = state.start.options.planner;
  const timeline = journaledTimeline(state);
  // A loop, not Math.max(...): a long map has more entries than a call takes arguments.
  let last = state.start.startedAt;
  for (const entry of state.entries) last = Math.max(last, entry.timestamp);
  for (const call of timeline) last = Math.max(last, call.end);
  return {
    runId: state.runId,
    status: 'cancelled',
    plan: { reasoning: state.plans[0]?.plan.reasoning ?? '', subtasks: adopted },
    rounds: state.plans.length,
    subtasks: ids.flatMap((id) => state.results.get(id) ?? []),
    artifacts: journaledArtifacts(state),
    cost,
    cacheHitRate: cacheHitRate(cost.tree.total),
    reused: cost.reused,
    savedByReuse: cost.savedByReuse,
    baseline: ledger.baseline(
      {},
      typeof planner === 'string' && catalog.has(planner) ? planner : ledger.baselineModel,
    ),
    timeline,
    startedAt: state.start.startedAt,
    endedAt: last,
    interrupted: true,
  };
}

/** The result a journal holds: the last execution's when it ended, else what finished (`interrupted: true`). */
export function resultOf(state: JournalState, catalog: ModelCatalog): RunResult<unknown> {
  return state.end ? restoreJournaledResult(state) : interruptedResult(state, catalog);
}

/**
 * Rebuilds a run's {@link RunResult} from its journal (what the CLI's
 * report reads). A run that never ended gives what finished, with status
 * `cancelled` and `interrupted: true`; its timeline is the journaled calls.
 * A streamed map's result, ended or not, is as its run returns one: compact
 * subtask results and no worker calls on the timeline (the journal's
 * subtask and ledger records hold them whole).
 *
 * @throws ArmyError `RUN_NOT_FOUND` (listing the known ids), `JOURNAL_INCOMPATIBLE`
 * @example const result = await loadRun(runId, { journal: '.army/runs' });
 */
export async function loadRun<TAnswer = string>(
  runId: string,
  options: JournalReadOptions = {},
): Promise<RunResult<TAnswer>> {
  const root = resolveJournalRoot(options.journal)!;
  const state = await openJournal(root, runId, options.logger ?? console);
  return resultOf(state, options.catalog ?? defaultCatalog) as RunResult<TAnswer>;
}
