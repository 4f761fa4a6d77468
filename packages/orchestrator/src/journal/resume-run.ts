import {
  ArmyError,
  type BudgetedEntry,
  type CostLedger,
  ERROR_CODES,
  invalidOption,
  type LedgerEntry,
  type Logger,
} from '@haiku-army/core';
import type { Brief } from '@haiku-army/worker';
import * as z from 'zod';
import { ItemSource, isItemIterable } from '../internal/item-source.js';
import type { MapItemRule } from '../internal/map-subtasks.js';
import type { ResolvedArmyOptions } from '../internal/resolve-army-options.js';
import type { RunSpec } from '../internal/run-spec.js';
import { checkChunksAhead } from '../internal/stream-options.js';
import type { BatchCreatingRecord, BatchSubmittedRecord, ResumeState } from '../run-recorder.js';
import type { RunStatus, SubtaskOutcome, SubtaskResult } from '../run-result.js';
import { resultsKeptOnResume } from './kept-results.js';
import { type JournalState, journaledTimeline } from './read-journal.js';
import { adoptedSubtasks } from './run-journal.js';

/** Options of `army.resume`. */
export interface ResumeOptions<TAnswer = string> {
  /** Cancels the resumed run, as `run`'s signal does. */
  signal?: AbortSignal;
  /**
   * The schema of every subtask's `data`, for a resumed `map` with `output`.
   * @default rebuilt from the journaled JSON Schema (with zod's `fromJSONSchema`, when the installed zod has it)
   */
  output?: z.ZodType;
  /** A resumed `map`'s `reduce` (code is not journaled). @default none: the answer is the synthesizer's, or none */
  reduce?: (results: SubtaskResult[]) => TAnswer | Promise<TAnswer>;
  /**
   * A resumed map over an iterable: the same items again, from the start (a
   * fresh file stream, say). The items the run read before are skipped (their
   * subtasks are in the journal; with `id`, each skipped item's id is checked
   * against it) and the rest read on in chunks. Not needed once the run had
   * read every item. @default none
   */
  items?: Iterable<unknown> | AsyncIterable<unknown>;
  /** With `items`: the map's `brief`, for the items not read yet. */
  brief?: (item: never, index: number) => Brief | string;
  /** With `items`: the map's `id`, when it had one. */
  id?: (item: never, index: number) => string;
  /** A resumed batch-mode map over an iterable: chunks sent ahead of the one running (see MapOptions.chunksAhead). @default 1 */
  chunksAhead?: number;
  /** A resumed `map`'s `onResult` (code is not journaled): called for each subtask that finishes now. */
  onResult?: (result: SubtaskResult) => void | Promise<void>;
}

/** Journaled entries restored into the ledger at a time (see restoreEntries). */
const RESTORE_SLICE = 1_000;

/** Statuses of a run that ended on its own: resuming it runs nothing and returns its journaled result. */
export const FINISHED_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['done', 'partial', 'failed']);

/**
 * What a resume keeps of the journaled results, in plan (or item) order: the
 * results, or for a map that keeps none (read with outcomes) the outcomes.
 */
function keptResults(state: JournalState): Pick<ResumeState, 'results' | 'outcomes'> & {
  ids: Set<string>;
} {
  const held: ReadonlyMap<string, SubtaskOutcome> = state.outcomes ?? state.results;
  const ids = new Set(resultsKeptOnResume(held.values()).map((result) => result.id));
  const inOrder = adoptedSubtasks(state).filter((subtask) => ids.has(subtask.id));
  if (state.outcomes) {
    const { outcomes } = state;
    return { ids, results: [], outcomes: inOrder.map((subtask) => outcomes.get(subtask.id)!) };
  }
  return { ids, results: inOrder.map((subtask) => state.results.get(subtask.id)!) };
}

/** The journaled JSON Schema of `data` as a zod schema, when this zod can rebuild one. */
function outputFrom(schema: Record<string, unknown> | undefined, logger: Logger, runId: string) {
  if (schema === undefined) return undefined;
  const rebuild = (z as unknown as { fromJSONSchema?: (schema: unknown) => z.ZodType })
    .fromJSONSchema;
  if (typeof rebuild === 'function') {
    try {
      return rebuild(schema);
    } catch {
      // Fall through to the warning.
    }
  }
  logger.warn(
    `Run ${runId} checked every subtask's data against a schema that cannot be rebuilt from its journal; pass \`output\` to army.resume to check it again.`,
  );
  return undefined;
}

/**
 * Prepares the resume of an interrupted run: restores its journaled ledger
 * entries into the army's ledger and its spend (with the calls in flight at
 * the crash, at their worst case) into the budget, so the cost tree and the
 * caps include it, and builds the spec that re-runs only what did not finish.
 */
export function prepareResume<TAnswer>(
  state: JournalState,
  options: ResolvedArmyOptions,
  resume: ResumeOptions<TAnswer>,
): RunSpec<TAnswer> {
  const { start } = state;
  if (state.plans.length === 0 && start.spec.plan === 'given' && !start.spec.streamed)
    throw new ArmyError(
      ERROR_CODES.INVALID_STATE,
      `Run ${state.runId} stopped before its plan reached the journal (nothing was spent on it); run the plan again.`,
    );
  // Checked before anything is restored: a caller's mistake changes nothing.
  const streamed = start.spec.streamed;
  if (streamed?.keepResults === false && !state.outcomes)
    throw new ArmyError(
      ERROR_CODES.INVALID_STATE,
      `Run ${state.runId}'s journal was not read for a resume (readJournal's forResume), so its finished items are not marked; this is a bug in @haiku-army/orchestrator.`,
    );
  const { ids: keptIds, ...kept } = keptResults(state);
  const stream = streamed
    ? resumedStream(state, streamed, resume as ResumeOptions<unknown>)
    : undefined;
  if (resume.onResult !== undefined && typeof resume.onResult !== 'function')
    throw invalidOption('onResult', 'a function (result) => void', resume.onResult);
  if (stream && !stream.keepResults && resume.reduce !== undefined)
    throw invalidOption(
      'reduce',
      'absent: the map ran with `keepResults: false`, so its results are not in memory to reduce (read them with loadRun)',
      'a function',
    );
  const gateway = options.gateway;
  const restored = restoreEntries(gateway.ledger, state, gateway.budget !== undefined);
  gateway.budget?.restoreRun({
    runId: state.runId,
    entries: restored.budgeted,
    unsettled: state.unsettled,
    newToLedger: restored.added,
  });
  const output = resume.output ?? outputFrom(start.spec.outputSchema, options.logger, state.runId);
  return {
    ...(stream ? { stream } : {}),
    job: start.job,
    planRounds: start.spec.planRounds,
    synthesize: start.spec.synthesize,
    signal: resume.signal,
    // A batch-mode run goes on in batch mode (its submitted batches are reattached either way).
    ...(start.options.mode === 'batch' || start.options.mode === 'interactive'
      ? { mode: start.options.mode }
      : {}),
    ...(output ? { output } : {}),
    ...(resume.reduce ? { reduce: resume.reduce } : {}),
    ...(resume.onResult ? { onResult: resume.onResult } : {}),
    resume: {
      ...kept,
      batches: unfinishedBatches(state.batches, keptIds),
      creates: unfinishedBatches(state.creates, keptIds),
      batchIds: state.batchIds,
      entryIds: restored.ids,
    },
    journaled: {
      plans: state.plans,
      startedAt: start.startedAt,
      timeline: journaledTimeline(state),
      artifacts: [...state.artifacts]
        .filter(([taskId]) => keptIds.has(taskId))
        .flatMap(([, artifacts]) => artifacts),
    },
  };
}

/** What a budget reads of an entry, and no more (a long map's 100,000 entries are not held whole for it). */
function budgetedOf(entry: LedgerEntry): BudgetedEntry {
  return {
    runId: entry.runId,
    taskId: entry.taskId,
    timestamp: entry.timestamp,
    cost: { total: entry.cost.total },
    ...(entry.estimated ? { estimated: true, reservedBound: entry.reservedBound } : {}),
  };
}

/**
 * Restores the journaled entries into the army's ledger. Packed ones (a
 * streamed map's, see JournalState.journaled) go a thousand at a time, so
 * they are never all objects at once; the budget then gets what it reads of
 * each (`withBudget`), and the run the ids.
 */
function restoreEntries(
  ledger: CostLedger,
  state: JournalState,
  withBudget: boolean,
): { budgeted: BudgetedEntry[]; added: BudgetedEntry[]; ids: string[] } {
  const { journaled } = state;
  if (!journaled) {
    const added = ledger.restore(state.entries);
    return { budgeted: state.entries, added, ids: state.entries.map((entry) => entry.id) };
  }
  const budgeted: BudgetedEntry[] = [];
  const added: BudgetedEntry[] = [];
  const ids: string[] = [];
  let slice: LedgerEntry[] = [];
  const restore = () => {
    const restored = new Set(ledger.restore(slice).map((entry) => entry.id));
    for (const entry of slice) {
      ids.push(entry.id);
      if (!withBudget) continue;
      const spent = budgetedOf(entry);
      budgeted.push(spent);
      if (restored.has(entry.id)) added.push(spent);
    }
    slice = [];
  };
  for (const entry of journaled.each()) {
    slice.push(entry);
    if (slice.length === RESTORE_SLICE) restore();
  }
  restore();
  return { budgeted, added, ids };
}

/** A resumed streamed map: the journaled chunks, and the re-supplied items and brief to read on with. */
function resumedStream(
  state: JournalState,
  { chunkSize, keepResults }: { chunkSize: number; keepResults?: false },
  resume: ResumeOptions<unknown>,
): NonNullable<RunSpec<unknown>['stream']> {
  const { items, brief, id } = resume;
  if (items !== undefined && !isItemIterable(items))
    throw invalidOption('items', "the map's items again, as an iterable or async iterable", items);
  if (items !== undefined && typeof brief !== 'function')
    throw invalidOption(
      'brief',
      "the map's brief function (item, index) => Brief | string, with `items`",
      brief,
    );
  if (id !== undefined && typeof id !== 'function')
    throw invalidOption('id', "the map's id function (item, index) => string", id);
  if (items !== undefined && id === undefined) {
    // New items get default ids (item-N): a map that had its own would repeat or mix them.
    const own = ownId(state.chunks);
    if (own)
      throw invalidOption(
        'id',
        `the map's id function (item, index) => string: the run gave its items their own ids (item ${own.index} had id ${JSON.stringify(own.id)})`,
        id,
      );
  }
  const last = state.chunks.at(-1);
  if (!last?.end && items === undefined)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Run ${state.runId} is a map over an iterable that was not read to its end (${last ? last.from + last.count : 0} items read); ` +
        'pass the same `items` and `brief` (and `id`, if the map had one) to army.resume(runId, { items, brief }) so it can read on.',
    );
  return {
    source: items === undefined ? undefined : new ItemSource(items),
    rule: brief === undefined ? undefined : ({ brief, id } as MapItemRule<unknown>),
    chunkSize,
    chunksAhead: checkChunksAhead(resume.chunksAhead),
    keepResults: keepResults !== false,
    // Read with forResume: a kept item's subtask is a stand-in (see
    // finishedStandIn), not its brief, which a resumed long map would
    // otherwise hold for every item it had finished, for the whole run.
    chunks: state.chunks,
  };
}

/** The first journaled item whose id is not the default (`item-` and its position from 1), if any. */
function ownId(chunks: JournalState['chunks']): { index: number; id: string } | undefined {
  for (const chunk of chunks)
    for (const [at, subtask] of chunk.subtasks.entries())
      if (subtask.id !== `item-${chunk.from + at + 1}`)
        return { index: chunk.from + at, id: subtask.id };
  return undefined;
}

/**
 * The submitted batches that hold a request of a subtask the resume runs
 * again (only those are reattached): a resumed long map would otherwise keep
 * every earlier chunk's batch record, with an attribution per request.
 */
function unfinishedBatches<T extends BatchSubmittedRecord | BatchCreatingRecord>(
  batches: readonly T[],
  kept: ReadonlySet<string>,
): T[] {
  return batches.filter((record) =>
    record.customIds.some((customId) => {
      const taskId = record.attributions?.[customId]?.taskId;
      return taskId === undefined || !kept.has(taskId);
    }),
  );
}
