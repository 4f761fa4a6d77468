import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import {
  ArmyError,
  CostLedger,
  ERROR_CODES,
  type LedgerEntry,
  type Logger,
  type UnsettledCall,
} from '@haiku-army/core';
import type { Artifact } from '../army-options.js';
import { compactResult, NONE } from '../internal/compact-result.js';
import { finishedStandIn } from '../internal/finished-stand-in.js';
import type {
  BatchCreatingRecord,
  BatchSubmittedRecord,
  ChunkRecord,
  PlanRecord,
  RunStartRecord,
} from '../run-recorder.js';
import type { SubtaskOutcome, SubtaskResult, TimelineEntry } from '../run-result.js';
import {
  JOURNAL_FORMAT,
  JOURNAL_FORMAT_VERSION,
  type JournalRecord,
  parseRecord,
  type SerializedRunResult,
} from './journal-format.js';
import { stoppedByRun } from './kept-results.js';

/** One execution of a run: its start, the calls it billed and, when it ended, its result. */
export interface JournalSegment {
  start: RunStartRecord;
  /** Read for a resume of a streamed map (see `journaled`): only the calls other than workers'. */
  entries: LedgerEntry[];
  end?: SerializedRunResult;
}

/** Everything a run's journal says, folded. */
export interface JournalState {
  runId: string;
  path: string;
  /** The first start (job, options, spec). */
  start: RunStartRecord;
  segments: JournalSegment[];
  /** The result of the last execution, when it ended (else the run was interrupted). */
  end: SerializedRunResult | undefined;
  /** Adopted plans, by round (the first record of a round wins). */
  plans: PlanRecord[];
  /** Every billed call, each once, in journal order; empty when `journaled` holds them. */
  entries: LedgerEntry[];
  /**
   * Read for a resume of a streamed map: every billed call, each once, in a
   * ledger of its own (packed, as `army.ledger` holds entries) instead of
   * as objects in `entries`.
   */
  journaled?: CostLedger;
  /**
   * The latest result of every subtask that has one (compact for a streamed
   * map, see compactResult); empty when `outcomes` holds them instead.
   */
  results: Map<string, SubtaskResult>;
  /**
   * Read for a resume of a streamed map with `keepResults: false`: the
   * latest outcome of every subtask that has a result (what such a run
   * keeps of them), in place of `results`.
   */
  outcomes?: Map<string, SubtaskOutcome>;
  /** Files written, by task (the latest record of a task wins). */
  artifacts: Map<string, Artifact[]>;
  batches: BatchSubmittedRecord[];
  /** Batch creates journaled with no batch record after them (the process died in between). */
  creates: BatchCreatingRecord[];
  /** Every batch id journaled (also of batches whose requests all finished). */
  batchIds: string[];
  /** A streamed map's chunks of items, in reading order (the first record of an index wins). */
  chunks: ChunkRecord[];
  /** Calls started and never ended (in flight when a process died), at their worst case. */
  unsettled: UnsettledCall[];
}

/** Options of {@link readJournal}. */
export interface ReadJournalOptions {
  /**
   * Read for `army.resume`, which needs less of a streamed map than a report
   * does: a finished item's subtask is kept as a stand-in (see
   * finishedStandIn), a batch record whose requests all finished is let go,
   * and with `keepResults: false` only outcomes are kept. A resumed long
   * map's memory is then set by what is still to run, not by every item
   * read before; its ledger entries are packed as they are read (see
   * `journaled`). @default false
   */
  forResume?: boolean;
  /**
   * With `forResume` and `keepResults: false`: the subtasks whose latest
   * compact result is kept too, in `results` (say, the ones a results file
   * lacks). @default none
   */
  whole?: (id: string) => boolean;
}

/** Ledger records packed at a time when read for a resume. */
const PACK_EVERY = 1_000;

function incompatible(path: string, what: string): ArmyError {
  return new ArmyError(
    ERROR_CODES.JOURNAL_INCOMPATIBLE,
    `The journal ${path} ${what}; this @haiku-army/orchestrator reads "${JOURNAL_FORMAT}" version ${JOURNAL_FORMAT_VERSION}. ` +
      'Open it with the version that wrote it, or start a new run.',
  );
}

/**
 * The lines of a file, read a megabyte at a time: a long map's journal runs
 * to hundreds of megabytes, which read whole and split would be held twice
 * over. Written by hand: `readline` is asynchronous, and journals are read
 * synchronously (listRuns reads many in a plain loop).
 */
function* linesOf(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    const decoder = new StringDecoder('utf8');
    // The start of a line longer than a read, in pieces: joined once, when it ends.
    let pending: string[] = [];
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      const text = decoder.write(buffer.subarray(0, read));
      let from = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
        pending.push(text.slice(from, end));
        yield pending.join('');
        pending = [];
        from = end + 1;
      }
      if (from < text.length) pending.push(text.slice(from));
    }
    yield pending.join('') + decoder.end();
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a run's journal, a line at a time. A line that is not a complete
 * record (the torn last write of a killed process, or damage) is skipped
 * with a warning, never a crash. A streamed map's results are kept compact
 * (as its run keeps them), so reading a long map's journal holds about what
 * its run held.
 * @throws ArmyError `JOURNAL_INCOMPATIBLE` when the header is missing or names another format version
 * @throws the file system's error (ENOENT) when there is no file
 */
export function readJournal(
  path: string,
  logger: Logger,
  options: ReadJournalOptions = {},
): JournalState {
  let header: Extract<JournalRecord, { type: 'header' }> | undefined;
  const segments: JournalSegment[] = [];
  const plans = new Map<number, PlanRecord>();
  const entries = new Map<string, LedgerEntry>();
  const results = new Map<string, SubtaskResult>();
  const artifacts = new Map<string, Artifact[]>();
  const chunks = new Map<number, ChunkRecord>();
  const started = new Map<string, UnsettledCall>();
  const ended = new Set<string>();
  let streamed = false;
  let outcomes: Map<string, SubtaskOutcome> | undefined;
  let journaled: CostLedger | undefined;
  // Ledger records waiting to be packed into `journaled`, a thousand at a time:
  // one restore() per record would sort the ledger once per record out of
  // timestamp order (a clock behind the crashed process's), which is quadratic.
  let unpacked: { entry: LedgerEntry; segment: JournalSegment }[] = [];
  const pack = () => {
    if (!journaled || unpacked.length === 0) return;
    const added = new Set(
      journaled.restore(unpacked.map(({ entry }) => entry)).map(({ id }) => id),
    );
    // The first record of an id wins (restore skips the ids it holds, and repeats in one call).
    for (const { entry, segment } of unpacked)
      if (added.delete(entry.id) && entry.role !== 'worker') segment.entries.push(entry);
    unpacked = [];
  };
  // Set for a resume of a streamed map (see ReadJournalOptions.forResume).
  let finishing: FinishedItems | undefined;
  const batches = new Set<BatchSubmittedRecord | BatchCreatingRecord>();
  // Creates not linked to a batch record yet, by intent.
  const creating = new Map<string, BatchCreatingRecord>();
  const batchIds = new Set<string>();
  const keepBatch = (record: BatchSubmittedRecord | BatchCreatingRecord) => {
    if (finishing) finishing.batch(record);
    else batches.add(record);
  };
  // A bad line is reported once the next line shows whether it was the last.
  let skipped: { line: number; problem: string } | undefined;
  const warnSkipped = (last: boolean) => {
    if (!skipped) return;
    logger.warn(
      `Skipped ${last ? 'the torn last line' : `line ${skipped.line}`} of the journal ${path}: ${skipped.problem}.`,
    );
    skipped = undefined;
  };
  let number = 0;
  for (const line of linesOf(path)) {
    number += 1;
    if (line.trim().length === 0) continue;
    warnSkipped(false);
    const parsed = parseRecord(line);
    if ('problem' in parsed) {
      skipped = { line: number, problem: parsed.problem };
      continue;
    }
    const { record } = parsed;
    if (!header) {
      if (record.type !== 'header')
        throw incompatible(path, 'does not start with a journal header');
      if (record.format !== JOURNAL_FORMAT || record.version !== JOURNAL_FORMAT_VERSION)
        throw incompatible(path, `was written as "${record.format}" version ${record.version}`);
      header = record;
      continue;
    }
    const segment = segments.at(-1);
    if (record.type === 'run-start') {
      const { type: _type, ...start } = record;
      segments.push({ start, entries: [] });
      const { streamed: map } = segments[0]!.start.spec;
      streamed = map !== undefined;
      if (streamed && options.forResume) {
        journaled ??= new CostLedger();
        finishing ??= new FinishedItems(batches, (id) => {
          const result = outcomes?.get(id) ?? results.get(id);
          return result !== undefined && finalResult(result);
        });
        if (map?.keepResults === false) outcomes ??= new Map();
      }
      continue;
    }
    if (!segment) continue;
    switch (record.type) {
      case 'plan':
        if (!plans.has(record.round))
          plans.set(record.round, { runId: header.runId, round: record.round, plan: record.plan });
        break;
      case 'call-start':
        started.set(record.call, {
          taskId: record.taskId,
          amount: record.worstCase,
          timestamp: record.at,
        });
        break;
      case 'call-end':
        ended.add(record.call);
        break;
      case 'ledger':
        if (record.call !== undefined) ended.add(record.call);
        if (journaled) {
          // A long map's worker calls are left off its timeline (see journaledTimeline).
          unpacked.push({ entry: record.entry, segment });
          if (unpacked.length === PACK_EVERY) pack();
        } else if (!entries.has(record.entry.id)) {
          entries.set(record.entry.id, record.entry);
          segment.entries.push(record.entry);
        }
        break;
      case 'artifacts':
        artifacts.set(record.taskId, record.artifacts);
        break;
      case 'subtask': {
        const { result } = record;
        if (outcomes) {
          outcomes.set(result.id, outcomeOf(result));
          if (options.whole?.(result.id)) results.set(result.id, compactResult(result));
        } else results.set(result.id, streamed ? compactResult(result) : result);
        if (finishing && finalResult(result)) finishing.finished(result.id);
        break;
      }
      case 'batch-creating': {
        const { type: _type, ...create } = record;
        const read = {
          runId: header.runId,
          ...(create as Omit<BatchCreatingRecord, 'runId'>),
          seq: number,
        };
        creating.set(read.intent, read);
        keepBatch(read);
        break;
      }
      case 'batch': {
        const { type: _type, ...batch } = record;
        batchIds.add(batch.batchId);
        if ('customIds' in batch && batch.customIds !== undefined) {
          keepBatch({
            runId: header.runId,
            ...(batch as Omit<BatchSubmittedRecord, 'runId'>),
            seq: number,
          });
          break;
        }
        // The batch of a create journaled before it: that record's ids and requests are its.
        const create = batch.intent === undefined ? undefined : creating.get(batch.intent);
        if (!create) break;
        creating.delete(create.intent);
        const held = !finishing || batches.has(create);
        batches.delete(create);
        finishing?.forget(create);
        if (!held) break; // every request of it had finished
        const { at: _at, ...content } = create;
        keepBatch({ ...content, batchId: batch.batchId, seq: number });
        break;
      }
      case 'chunk': {
        const { type: _type, ...chunk } = record;
        if (chunks.has(chunk.index)) break;
        const read = { runId: header.runId, ...chunk };
        chunks.set(chunk.index, read);
        finishing?.chunk(read);
        break;
      }
      case 'run-end':
        segment.end = record.result;
        break;
    }
  }
  warnSkipped(true);
  pack();
  if (!header) throw incompatible(path, 'has no complete header line');
  if (segments.length === 0) throw incompatible(path, 'has no run-start record');
  return {
    runId: header.runId,
    path,
    start: segments[0]!.start,
    segments,
    end: segments.at(-1)!.end,
    plans: [...plans.values()].sort((a, b) => a.round - b.round),
    entries: [...entries.values()],
    ...(journaled ? { journaled } : {}),
    results,
    ...(outcomes ? { outcomes } : {}),
    artifacts,
    batches: [...batches].filter((record): record is BatchSubmittedRecord => 'batchId' in record),
    creates: [...batches].filter((record): record is BatchCreatingRecord => !('batchId' in record)),
    batchIds: [...batchIds],
    chunks: [...chunks.values()].sort((a, b) => a.index - b.index),
    unsettled: [...started].filter(([call]) => !ended.has(call)).map(([, call]) => call),
  };
}

/** A result that no later run replaces: a resume keeps it (see resultsKeptOnResume; a map item has no dependencies). */
function finalResult(result: SubtaskOutcome): boolean {
  return !stoppedByRun(result) && result.code !== 'DEPENDENCY_FAILED';
}

/** A result's outcome: what a map with `keepResults: false` keeps of it. */
export function outcomeOf(result: SubtaskOutcome): SubtaskOutcome {
  return {
    id: result.id,
    status: result.status,
    ...(result.code !== undefined ? { code: result.code } : {}),
    dependsOn: result.dependsOn.length > 0 ? result.dependsOn : NONE,
  };
}

/**
 * What a resume of a streamed map lets go of while the journal is read, as
 * its items finish: each finished item's subtask becomes a stand-in in its
 * chunk, and a batch record goes once every request in it belongs to a
 * finished item (only a batch with an unfinished request is reattached).
 * Items finish in the journal after their chunk and batch records, so what
 * this holds is the items still in flight when the run stopped.
 */
type BatchRecord = BatchSubmittedRecord | BatchCreatingRecord;

class FinishedItems {
  readonly #batches: Set<BatchRecord>;
  /** Unfinished items' places in their chunks. */
  readonly #places = new Map<string, { chunk: ChunkRecord; at: number }>();
  /** Batch records by unfinished item, and how many of each record's requests are unfinished. */
  readonly #batchesOf = new Map<string, BatchRecord[]>();
  readonly #open = new Map<BatchRecord, number>();
  /** Whether an item's latest result so far is final. */
  readonly #done: (id: string) => boolean;

  constructor(batches: Set<BatchRecord>, done: (id: string) => boolean) {
    this.#batches = batches;
    this.#done = done;
  }

  chunk(chunk: ChunkRecord): void {
    for (const [at, subtask] of chunk.subtasks.entries()) {
      if (this.#done(subtask.id)) chunk.subtasks[at] = finishedStandIn(subtask);
      else this.#places.set(subtask.id, { chunk, at });
    }
  }

  batch(record: BatchRecord): void {
    let open = 0;
    for (const customId of record.customIds) {
      const taskId = record.attributions?.[customId]?.taskId;
      // A request that names no item is never known to be finished: the record stays.
      if (taskId === undefined) open = Number.POSITIVE_INFINITY;
      else if (!this.#done(taskId)) {
        open += 1;
        const held = this.#batchesOf.get(taskId);
        if (held) held.push(record);
        else this.#batchesOf.set(taskId, [record]);
      }
    }
    if (open === 0) return;
    this.#batches.add(record);
    this.#open.set(record, open);
  }

  /** A record replaced by another (a create by its batch): no longer tracked. */
  forget(record: BatchRecord): void {
    if (!this.#open.delete(record)) return;
    for (const customId of record.customIds) {
      const taskId = record.attributions?.[customId]?.taskId;
      const held = taskId === undefined ? undefined : this.#batchesOf.get(taskId);
      if (!held) continue;
      const rest = held.filter((other) => other !== record);
      if (rest.length > 0) this.#batchesOf.set(taskId!, rest);
      else this.#batchesOf.delete(taskId!);
    }
  }

  finished(id: string): void {
    // A finished item is not run again (its result is its last): a second call finds nothing held.
    const place = this.#places.get(id);
    if (place) {
      place.chunk.subtasks[place.at] = finishedStandIn(place.chunk.subtasks[place.at]!);
      this.#places.delete(id);
    }
    for (const record of this.#batchesOf.get(id) ?? []) {
      const open = this.#open.get(record)! - 1;
      this.#open.set(record, open);
      if (open > 0) continue;
      this.#open.delete(record);
      this.#batches.delete(record);
    }
    this.#batchesOf.delete(id);
  }
}

/** The calls of journaled ledger entries as timeline entries (a call's start is its end minus its latency). */
export function timelineOf(entries: readonly LedgerEntry[]): TimelineEntry[] {
  return entries.map((entry) => ({
    start: entry.timestamp - entry.latencyMs,
    end: entry.timestamp,
    taskId: entry.taskId,
    role: entry.role,
    model: entry.model,
    attempt: entry.attempt,
    outcome: entry.outcome === 'aborted' ? 'aborted' : 'success',
    entryId: entry.id,
    cost: entry.cost.total,
  }));
}

/**
 * The timeline of every execution so far: the last ended execution's own
 * (it holds the earlier ones too), then the journaled calls of the
 * executions after it. A streamed map's leaves out its worker calls, as its
 * run's result does.
 */
export function journaledTimeline(state: JournalState): TimelineEntry[] {
  let ended = -1;
  for (const [index, segment] of state.segments.entries()) if (segment.end) ended = index;
  const shown = state.start.spec.streamed
    ? (call: { role: string }) => call.role !== 'worker'
    : () => true;
  const timeline = ended >= 0 ? state.segments[ended]!.end!.timeline.filter(shown) : [];
  // A loop, not push(...): a long map has more calls than a call takes arguments.
  for (const segment of state.segments.slice(ended + 1))
    for (const call of timelineOf(segment.entries.filter(shown))) timeline.push(call);
  return timeline.sort((a, b) => a.start - b.start);
}
