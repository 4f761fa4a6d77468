import { statSync } from 'node:fs';
import {
  loadKeptOnResume,
  loadRun,
  type RunSummary,
  resultsKeptOnResume,
  resumeRun,
  type SubtaskOutcome,
  type SubtaskResult,
} from '@haiku-army/orchestrator';
import { type ArmyFlags, armyConfig, journalDir, journalLogger } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { connect } from '../connection.js';
import { EXIT } from '../constants.js';
import { toJson, usageError } from '../errors.js';
import { readRunFlags } from '../run-flags-file.js';
import { renderBill } from '../view/bill.js';
import { plural } from '../view/format.js';
import {
  idsInResults,
  itemsFingerprint,
  type MapSource,
  mapRunOptions,
  ResultsFile,
  resultsFileFailed,
} from './map.js';
import { checkArmyFlags } from './run.js';
import { exitCodeFor, watchRun } from './watch-run.js';

/** Flags of `army resume`: what may change when a run goes on (the rest is the run's own). */
export interface ResumeFlags {
  root?: string;
  out?: string;
  concurrency?: number;
  budget?: number;
  journal?: string;
  json?: boolean;
}

/** Statuses of a run that ended on its own: resuming it runs nothing. */
const ENDED = new Set(['done', 'partial', 'failed']);

/** The run's flags when `army run` or `army map` started it; else what its journal says, with `--root` required. */
function flagsOf(
  summary: RunSummary,
  journal: string,
  flags: ResumeFlags,
): ArmyFlags & { map?: MapSource } {
  const recorded = readRunFlags(journal, summary.runId);
  const base: ArmyFlags & { map?: MapSource } = recorded ?? fromJournal(summary);
  const merged: ArmyFlags & { map?: MapSource } = {
    ...base,
    ...(flags.root !== undefined ? { root: flags.root } : {}),
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
    journal,
  };
  if (merged.root === undefined)
    throw usageError(
      `Run ${summary.runId} was not started by \`army run\` (no flags file next to its journal), so its folder is unknown; pass --root DIR, the folder its workers read.`,
    );
  return merged;
}

/** The army a library-started run had, as far as its journaled options tell. */
function fromJournal(summary: RunSummary): ArmyFlags {
  const options = summary.options;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const count = (value: unknown) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const planner = text(options.planner);
  const workers = options.router === 'complexity-map' ? 'auto' : text(options.workerModel);
  const budget = count((options.budget as { run?: unknown } | undefined)?.run);
  const concurrency = count(options.concurrency);
  const rounds = count(options.rounds);
  return {
    ...(planner ? { planner } : {}),
    ...(workers ? { workers } : {}),
    ...(budget ? { budget } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(rounds ? { rounds } : {}),
    ...(summary.mode === 'batch' ? { batch: true } : {}),
  };
}

/**
 * `army resume <runId>`: goes on with an interrupted, cancelled or
 * budget-stopped run from its journal, through the orchestrator's
 * `resumeRun`, with the same army (`--root`, models, budget, mode) it was
 * started with: finished subtasks are kept, the rest run again, the answer
 * is synthesized. Shown like `army run`. Resolves with the exit code.
 */
export async function resumeCommand(
  runId: string,
  flags: ResumeFlags,
  io: ResolvedIo,
): Promise<number> {
  const journal = journalDir(flags.journal, io);
  const logger = journalLogger(io);
  // Before the fake starts: an unknown id is the only line printed (RUN_NOT_FOUND lists the known ones).
  const light = await readLight(runId, journal, logger);
  const { summary } = light;
  const armyFlags = flagsOf(summary, journal, flags);
  checkArmyFlags(armyFlags, io);
  const { map, ...army } = armyFlags;
  if (ENDED.has(summary.status)) {
    // Nothing to run (resumeRun would return the journaled result): no API, no fake.
    const before = await loadRun(runId, { journal, logger });
    io.err(`Run ${runId} already ended ${summary.status}; nothing runs again. Its bill:`);
    io.out(flags.json ? toJson(before) : renderBill(before));
    const filled = map?.results
      ? await fillEndedResults(map.results, runId, light.missing, io)
      : true;
    return filled ? exitCodeFor(before, false) : EXIT.FAILED;
  }
  // A map reads its items file on from where it stopped: the same file (not
  // needed once the map read it to its end: only unfinished items run again).
  if (map && summary.items?.end !== true) checkItemsUnchanged(runId, map);
  const { kept, missing } = summary.items
    ? light
    : await keptOfPlan(runId, journal, logger, map?.results);
  const results = map?.results ? new ResultsFile(map.results, runId) : undefined;
  let code: number;
  try {
    if (results) for (const result of missing) await results.write(result);
    code = results?.failed
      ? EXIT.FAILED
      : await resumeWith(runId, summary, army, map, results, kept, flags, io);
  } finally {
    await results?.close();
  }
  return results?.failed ? resultsFileFailed(results, runId, io) : code;
}

/**
 * The run's summary, what a resume keeps and (a map with a results file)
 * the kept results the file lacks, from one read of the journal as a resume
 * reads it: a long map's resume does not first load every item's result.
 */
async function readLight(
  runId: string,
  journal: string,
  logger: ReturnType<typeof journalLogger>,
): Promise<{ summary: RunSummary; kept: readonly SubtaskOutcome[]; missing: SubtaskResult[] }> {
  const resultsFile = readRunFlags(journal, runId)?.map?.results;
  const written = resultsFile ? await idsInResults(resultsFile, runId) : undefined;
  const { summary, outcomes, results } = await loadKeptOnResume(runId, {
    journal,
    logger,
    ...(written ? { whole: (id: string) => !written.has(id) } : {}),
  });
  return { summary, kept: outcomes, missing: results };
}

/** A planned run's kept results (whole, from `loadRun`), and those a results file lacks. */
async function keptOfPlan(
  runId: string,
  journal: string,
  logger: ReturnType<typeof journalLogger>,
  resultsFile: string | undefined,
): Promise<{ kept: readonly SubtaskOutcome[]; missing: SubtaskResult[] }> {
  const kept = resultsKeptOnResume((await loadRun(runId, { journal, logger })).subtasks);
  return { kept, missing: resultsFile ? await missingFrom(resultsFile, runId, kept) : [] };
}

/** The kept results a crash or a failed write left out of the results file (the journal had them first). */
async function missingFrom(
  file: string,
  runId: string,
  kept: readonly SubtaskResult[],
): Promise<SubtaskResult[]> {
  const written = await idsInResults(file, runId);
  return kept.filter((result) => !written.has(result.id));
}

/**
 * An ended map's results file gets the results it lacks. One that cannot be
 * written is reported (its results stay in the journal), not refused: the
 * bill is shown all the same. Returns whether the file is complete.
 */
async function fillEndedResults(
  file: string,
  runId: string,
  missing: readonly SubtaskResult[],
  io: ResolvedIo,
): Promise<boolean> {
  if (missing.length === 0) return true;
  let failure: string | undefined;
  try {
    const results = new ResultsFile(file, runId);
    for (const result of missing) await results.write(result);
    await results.close();
    failure = results.failed?.message;
  } catch (error) {
    failure = (error as Error).message;
  }
  if (failure === undefined) {
    io.err(`Appended ${plural(missing.length, 'result')} the results file ${file} lacked.`);
    return true;
  }
  io.err(
    `army: ${plural(missing.length, 'result')} of the run could not be appended to ${file} (${failure}); they are in the journal: army report ${runId} --json.`,
  );
  return false;
}

async function resumeWith(
  runId: string,
  summary: RunSummary,
  army: ArmyFlags,
  map: MapSource | undefined,
  results: ResultsFile | undefined,
  kept: readonly SubtaskOutcome[],
  flags: ResumeFlags,
  io: ResolvedIo,
): Promise<number> {
  const connection = await connect(io.env);
  try {
    const config = armyConfig(army, connection, io);
    io.err(connection.banner);
    io.err(
      `Resuming run ${runId} (${summary.status}): ${kept.length} of ${plural(summary.subtasks.total, 'subtask')} kept, ${summary.subtasks.total - kept.length} to run again, ${map ? `then the lines of ${map.items} not read yet` : 'then the synthesis'}.`,
    );
    const controller = new AbortController();
    if (results) results.onFailure = (error) => controller.abort(error);
    const handle = resumeRun({
      ...config.options,
      runId,
      signal: controller.signal,
      ...(map ? mapRunOptions(map, results) : {}),
    });
    return await watchRun(handle, {
      io,
      setup: config,
      connection,
      controller,
      json: flags.json === true,
      job: summary.job,
      restored: { results: kept, spent: summary.cost },
      ...(map ? { quiet: true } : {}),
      ...(army.budget !== undefined ? { budget: army.budget } : {}),
      ...(army.batch ? { batch: true } : {}),
    });
  } finally {
    await connection.close();
  }
}

/**
 * A map's items file must still be there, unchanged (same size and
 * modification time): the items read before are skipped by count, so an
 * edited file would skip or repeat lines. Else a usage error saying so.
 */
function checkItemsUnchanged(runId: string, map: MapSource): void {
  let now: ReturnType<typeof itemsFingerprint> | undefined;
  try {
    now = statSync(map.items).isFile() ? itemsFingerprint(map.items) : undefined;
  } catch {}
  if (!now)
    throw usageError(
      `Run ${runId} maps the lines of ${map.items}, which is no longer a file; put the same file back there to resume it (the items it read before are skipped, not run again).`,
    );
  if (
    (map.itemsSize !== undefined && now.itemsSize !== map.itemsSize) ||
    (map.itemsMtimeMs !== undefined && now.itemsMtimeMs !== map.itemsMtimeMs)
  )
    throw usageError(
      `Run ${runId} maps the lines of ${map.items}, which changed since the run started (size or modification time); the items it read before are skipped by count, so restore the file as it was, or start a new \`army map\`.`,
    );
}
