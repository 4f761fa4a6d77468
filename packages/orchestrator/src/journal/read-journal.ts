import { readFileSync } from 'node:fs';
import {
  ArmyError,
  ERROR_CODES,
  type LedgerEntry,
  type Logger,
  type UnsettledCall,
} from '@haiku-army/core';
import type { Artifact } from '../army-options.js';
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
  /** The latest result of every subtask that has one. */
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
 * Reads a run's journal. A line that is not a complete record (the torn
 * last write of a killed process, or damage) is skipped with a warning,
 * never a crash.
 * @throws ArmyError `JOURNAL_INCOMPATIBLE` when the header is missing or names another format version
 * @throws the file system's error (ENOENT) when there is no file
 */
export function readJournal(path: string, logger: Logger): JournalState {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
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
  for (const [index, line] of lines.entries()) {
    if (line.trim().length === 0) continue;
    const parsed = parseRecord(line);
    if ('problem' in parsed) {
      const last =
        index === lines.length - 1 || lines.slice(index + 1).every((rest) => !rest.trim());
      logger.warn(
        `Skipped ${last ? 'the torn last line' : `line ${index + 1}`} of the journal ${path}: ${parsed.problem}.`,
      );
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
        results.set(record.result.id, record.result);
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
 * executions after it.
 */
export function journaledTimeline(state: JournalState): TimelineEntry[] {
  let ended = -1;
  for (const [index, segment] of state.segments.entries()) if (segment.end) ended = index;
  const timeline = ended >= 0 ? [...state.segments[ended]!.end!.timeline] : [];
  for (const segment of state.segments.slice(ended + 1))
    timeline.push(...timelineOf(segment.entries));
  return timeline.sort((a, b) => a.start - b.start);
}
