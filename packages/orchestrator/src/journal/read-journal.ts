import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import {
  ArmyError,
  ERROR_CODES,
  type LedgerEntry,
  type Logger,
  type UnsettledCall,
} from '@haiku-army/core';
import type { Artifact } from '../army-options.js';
import { compactResult } from '../internal/compact-result.js';
import type {
  BatchSubmittedRecord,
  ChunkRecord,
  PlanRecord,
  RunStartRecord,
} from '../run-recorder.js';
import type { SubtaskResult, TimelineEntry } from '../run-result.js';
import {
  JOURNAL_FORMAT,
  JOURNAL_FORMAT_VERSION,
  type JournalRecord,
  parseRecord,
  type SerializedRunResult,
} from './journal-format.js';

/** One execution of a run: its start, the calls it billed and, when it ended, its result. */
export interface JournalSegment {
  start: RunStartRecord;
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
  /** Every billed call, each once, in journal order. */
  entries: LedgerEntry[];
  /** The latest result of every subtask that has one (compact for a streamed map, see compactResult). */
  results: Map<string, SubtaskResult>;
  /** Files written, by task (the latest record of a task wins). */
  artifacts: Map<string, Artifact[]>;
  batches: BatchSubmittedRecord[];
  /** A streamed map's chunks of items, in reading order (the first record of an index wins). */
  chunks: ChunkRecord[];
  /** Calls started and never ended (in flight when a process died), at their worst case. */
  unsettled: UnsettledCall[];
}

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
export function readJournal(path: string, logger: Logger): JournalState {
  let header: Extract<JournalRecord, { type: 'header' }> | undefined;
  const segments: JournalSegment[] = [];
  const plans = new Map<number, PlanRecord>();
  const entries = new Map<string, LedgerEntry>();
  const results = new Map<string, SubtaskResult>();
  const artifacts = new Map<string, Artifact[]>();
  const batches: BatchSubmittedRecord[] = [];
  const chunks = new Map<number, ChunkRecord>();
  const started = new Map<string, UnsettledCall>();
  const ended = new Set<string>();
  let streamed = false;
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
      streamed ||= start.spec.streamed !== undefined;
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
        if (!entries.has(record.entry.id)) {
          entries.set(record.entry.id, record.entry);
          segment.entries.push(record.entry);
        }
        break;
      case 'artifacts':
        artifacts.set(record.taskId, record.artifacts);
        break;
      case 'subtask':
        results.set(record.result.id, streamed ? compactResult(record.result) : record.result);
        break;
      case 'batch': {
        const { type: _type, ...batch } = record;
        batches.push({ runId: header.runId, ...(batch as Omit<BatchSubmittedRecord, 'runId'>) });
        break;
      }
      case 'chunk': {
        const { type: _type, ...chunk } = record;
        if (!chunks.has(chunk.index)) chunks.set(chunk.index, { runId: header.runId, ...chunk });
        break;
      }
      case 'run-end':
        segment.end = record.result;
        break;
    }
  }
  warnSkipped(true);
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
    results,
    artifacts,
    batches,
    chunks: [...chunks.values()].sort((a, b) => a.index - b.index),
    unsettled: [...started].filter(([call]) => !ended.has(call)).map(([, call]) => call),
  };
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
  const timeline = ended >= 0 ? [...state.segments[ended]!.end!.timeline] : [];
  // A loop, not push(...): a long map has more calls than a call takes arguments.
  for (const segment of state.segments.slice(ended + 1))
    for (const call of timelineOf(segment.entries)) timeline.push(call);
  const calls = state.start.spec.streamed
    ? timeline.filter((call) => call.role !== 'worker')
    : timeline;
  return calls.sort((a, b) => a.start - b.start);
}
