import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { ArmyError, ERROR_CODES, type LedgerEntry, type Logger } from '@haiku-army/core';
import type {
  ArtifactsRecord,
  BatchCreatingRecord,
  BatchSubmittedRecord,
  CallEndRecord,
  CallStartRecord,
  ChunkRecord,
  PlanRecord,
  RunRecorder,
  RunStartRecord,
} from '../run-recorder.js';
import type { RunResult, SubtaskResult } from '../run-result.js';
import { JournalFile, type SyncFile } from './journal-file.js';
import {
  JOURNAL_FORMAT,
  JOURNAL_FORMAT_VERSION,
  type JournalRecord,
  serializeResult,
} from './journal-format.js';
import { journalPath } from './journal-root.js';

/** Options of a {@link JournalRecorder}. */
export interface JournalRecorderOptions {
  /** The journal root: each run writes `<root>/<runId>/journal.jsonl`. */
  root: string;
  /** Where warnings go (a result that cannot be journaled whole). @default console */
  logger?: Logger;
  /** @default Date.now */
  now?: () => number;
  /** Flushes a file to disk. @default fdatasync */
  sync?: SyncFile;
}

/** One open run journal. */
interface OpenRun {
  file: JournalFile;
  /** Call ids are per execution; this token keeps them unique across a run's resumes. */
  token: string;
  /** Ledger entries already written (a call's entry comes through `callEnded` and `ledgerEntry`). */
  written: Set<string>;
  /** Batch creates written and not yet linked to their batch: its record then names the create only. */
  creating: Set<string>;
}

/**
 * The durable-runs journal: a {@link RunRecorder} that appends every record
 * of a run to `<root>/<runId>/journal.jsonl`, one JSON object per line. A
 * finished subtask, an adopted plan and a submitted batch are flushed to
 * disk (group commit) before the run goes on; a call's start and its ledger
 * entry are written (not flushed) before the request is sent and before the
 * response is used, so a killed process loses none of them.
 */
export class JournalRecorder implements RunRecorder {
  readonly root: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #sync: SyncFile | undefined;
  readonly #runs = new Map<string, OpenRun>();

  constructor(options: JournalRecorderOptions) {
    this.root = options.root;
    this.#logger = options.logger ?? console;
    this.#now = options.now ?? Date.now;
    this.#sync = options.sync;
  }

  /** The open journal file of a run (for tests and benches). */
  file(runId: string): JournalFile | undefined {
    return this.#runs.get(runId)?.file;
  }

  #write(runId: string, records: JournalRecord[]): OpenRun | undefined {
    const run = this.#runs.get(runId);
    // Records of a run this recorder did not start (`army.plan`) are not journaled.
    if (!run) return undefined;
    run.file.write(records.map((record) => JSON.stringify(record)));
    return run;
  }

  async runStarted(record: RunStartRecord): Promise<void> {
    const path = journalPath(this.root, record.runId, 'generateId()');
    if (!record.resumed && existsSync(path) && statSync(path).size > 0)
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `Run id "${record.runId}" already has a journal at ${path}: \`generateId\` must return a new id for every run (use army.resume to go on with that run).`,
      );
    if (this.#runs.has(record.runId))
      throw new ArmyError(
        ERROR_CODES.INVALID_STATE,
        `Run "${record.runId}" is already running in this army; wait for it to end before resuming it.`,
      );
    const file = JournalFile.open(path, this.#sync ? { sync: this.#sync } : {});
    const run: OpenRun = {
      file,
      token: randomUUID().slice(0, 8),
      written: new Set(),
      creating: new Set(),
    };
    this.#runs.set(record.runId, run);
    const records: JournalRecord[] = [];
    if (!record.resumed)
      records.push({
        type: 'header',
        format: JOURNAL_FORMAT,
        version: JOURNAL_FORMAT_VERSION,
        runId: record.runId,
        createdAt: this.#now(),
      });
    records.push({ type: 'run-start', ...record });
    try {
      this.#write(record.runId, records);
      await file.sync();
    } catch (error) {
      this.#runs.delete(record.runId);
      await file.close().catch(() => {});
      throw error;
    }
  }

  async planAdopted(record: PlanRecord): Promise<void> {
    await this.#write(record.runId, [
      { type: 'plan', round: record.round, plan: record.plan },
    ])?.file.sync();
  }

  callStarted(record: CallStartRecord): void {
    const run = this.#runs.get(record.runId);
    if (!run) return;
    this.#write(record.runId, [
      {
        type: 'call-start',
        call: `${run.token}.${record.callId}`,
        taskId: record.taskId,
        role: record.role,
        model: record.model,
        attempt: record.attempt,
        worstCase: record.worstCase,
        at: record.at,
      },
    ]);
  }

  callEnded(record: CallEndRecord): void {
    const run = this.#runs.get(record.runId);
    if (!run) return;
    const call = `${run.token}.${record.callId}`;
    // A billed call's entry and its end are one line, so a crash cannot leave one without the other.
    if (record.entry) {
      run.written.add(record.entry.id);
      this.#write(record.runId, [{ type: 'ledger', entry: record.entry, call }]);
    } else this.#write(record.runId, [{ type: 'call-end', call, outcome: record.outcome }]);
  }

  ledgerEntry(entry: LedgerEntry): void {
    const run = this.#runs.get(entry.runId);
    if (!run || run.written.has(entry.id)) return;
    run.written.add(entry.id);
    this.#write(entry.runId, [{ type: 'ledger', entry }]);
  }

  artifactsWritten(record: ArtifactsRecord): void {
    this.#write(record.runId, [
      { type: 'artifacts', taskId: record.taskId, artifacts: record.artifacts },
    ]);
  }

  async subtaskFinished(record: { runId: string; result: SubtaskResult }): Promise<void> {
    await this.#write(record.runId, [{ type: 'subtask', result: record.result }])?.file.sync();
  }

  async batchCreating(record: BatchCreatingRecord): Promise<void> {
    const { runId, ...creating } = record;
    const run = this.#write(runId, [{ type: 'batch-creating', ...creating }]);
    run?.creating.add(record.intent);
    await run?.file.sync();
  }

  async batchSubmitted(record: BatchSubmittedRecord): Promise<void> {
    const { runId, ...batch } = record;
    const run = this.#runs.get(runId);
    // The first batch of a create journaled before it names that record
    // (its ids are there already); another (a reconciled create may adopt
    // several) is written whole.
    const linked = batch.intent !== undefined && run?.creating.delete(batch.intent) === true;
    await this.#write(runId, [
      linked
        ? { type: 'batch', batchId: batch.batchId, intent: batch.intent! }
        : { type: 'batch', ...batch },
    ])?.file.sync();
  }

  async chunkRead(record: ChunkRecord): Promise<void> {
    const { runId, ...chunk } = record;
    await this.#write(runId, [{ type: 'chunk', ...chunk }])?.file.sync();
  }

  async runEnded(result: RunResult): Promise<void> {
    const run = this.#runs.get(result.runId);
    if (!run) return;
    try {
      let line: string;
      const serialized = serializeResult(
        result.streamed
          ? withoutItems(result as RunResult<unknown>)
          : (result as RunResult<unknown>),
      );
      try {
        line = JSON.stringify({ type: 'run-end', result: serialized } satisfies JournalRecord);
      } catch (error) {
        // An answer from `reduce` that JSON cannot hold (a BigInt, a cycle): keep the rest.
        this.#logger.warn(
          `The answer of run ${result.runId} cannot be journaled (${(error as Error).message}); loadRun will return the result without it.`,
        );
        const { answer: _dropped, ...rest } = serialized;
        line = JSON.stringify({ type: 'run-end', result: rest } satisfies JournalRecord);
      }
      run.file.write([line]);
      await run.file.close();
    } finally {
      this.#runs.delete(result.runId);
    }
  }
}

/**
 * A streamed map's result without its subtasks: the journal's subtask
 * records hold them and `restoreJournaledResult` rebuilds them, so the
 * run-end line stays small whatever the item count.
 */
function withoutItems(result: RunResult<unknown>): RunResult<unknown> {
  return { ...result, subtasks: [] };
}
