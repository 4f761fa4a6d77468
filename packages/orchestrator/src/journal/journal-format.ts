import { ArmyError, type LedgerEntry } from '@haiku-army/core';
import * as z from 'zod';
import type { Artifact } from '../army-options.js';
import type { Plan } from '../plan.js';
import type { RunStartRecord } from '../run-recorder.js';
import type { RunResult, SubtaskResult } from '../run-result.js';

/**
 * The journal's format version. A journal whose header names another is
 * refused with `JOURNAL_INCOMPATIBLE`, never misread. Bump it when a record
 * changes shape.
 */
export const JOURNAL_FORMAT_VERSION = 1;

/** The `format` of a journal's header line. */
export const JOURNAL_FORMAT = 'haiku-army.run-journal';

/** The file of a run's journal, inside `<journal>/<runId>/`. */
export const JOURNAL_FILE = 'journal.jsonl';

/** An error as a journal keeps it. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
}

/** A RunResult as a journal keeps it (`error` serialised). */
export type SerializedRunResult = Omit<RunResult<unknown>, 'error'> & { error?: SerializedError };

/** One line of a journal. */
export type JournalRecord =
  | { type: 'header'; format: string; version: number; runId: string; createdAt: number }
  | ({ type: 'run-start' } & RunStartRecord)
  | { type: 'plan'; round: number; plan: Plan }
  | {
      type: 'call-start';
      call: string;
      taskId: string;
      role: string;
      model: string;
      attempt: number;
      worstCase: number;
      at: number;
    }
  | { type: 'call-end'; call: string; outcome: string }
  | { type: 'ledger'; entry: LedgerEntry; call?: string }
  | { type: 'artifacts'; taskId: string; artifacts: Artifact[] }
  | { type: 'subtask'; result: SubtaskResult }
  | {
      type: 'batch-creating';
      intent: string;
      at: number;
      customIds: string[];
      attributions: Record<string, unknown>;
      requests: Record<string, unknown>;
    }
  | {
      type: 'batch';
      batchId: string;
      customIds: string[];
      attributions: Record<string, unknown>;
      requests: Record<string, unknown>;
      intent?: string;
    }
  /** The batch of a `batch-creating` record: its ids and requests are that record's. */
  | { type: 'batch'; batchId: string; intent: string }
  | {
      type: 'chunk';
      index: number;
      from: number;
      count: number;
      end: boolean;
      subtasks: Plan['subtasks'];
    }
  | { type: 'run-end'; result: SerializedRunResult };

const nano = z.number().int().nonnegative();

// The shapes a reader relies on; the rest of each record is carried as written.
const recordSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('header'),
    format: z.string(),
    version: z.number(),
    runId: z.string(),
    createdAt: z.number(),
  }),
  z.looseObject({
    type: z.literal('run-start'),
    runId: z.string(),
    job: z.string(),
    startedAt: z.number(),
    options: z.record(z.string(), z.unknown()),
    spec: z.looseObject({ planRounds: z.boolean(), synthesize: z.boolean() }),
  }),
  z.looseObject({
    type: z.literal('plan'),
    round: z.number().int().positive(),
    plan: z.looseObject({
      reasoning: z.string(),
      subtasks: z.array(z.looseObject({ id: z.string() })),
    }),
  }),
  z.looseObject({
    type: z.literal('call-start'),
    call: z.string(),
    taskId: z.string(),
    worstCase: nano,
    at: z.number(),
  }),
  z.looseObject({ type: z.literal('call-end'), call: z.string() }),
  z.looseObject({
    type: z.literal('ledger'),
    entry: z.looseObject({
      id: z.string(),
      runId: z.string(),
      taskId: z.string(),
      timestamp: z.number(),
      cost: z.looseObject({ total: nano }),
    }),
  }),
  z.looseObject({
    type: z.literal('artifacts'),
    taskId: z.string(),
    artifacts: z.array(z.looseObject({ taskId: z.string(), path: z.string(), bytes: z.number() })),
  }),
  z.looseObject({
    type: z.literal('subtask'),
    result: z.looseObject({ id: z.string(), status: z.string() }),
  }),
  z.looseObject({
    type: z.literal('batch-creating'),
    intent: z.string(),
    at: z.number(),
    customIds: z.array(z.string()),
  }),
  // Either a whole record, or `intent` naming the batch-creating record that holds the rest.
  z.looseObject({
    type: z.literal('batch'),
    batchId: z.string(),
    customIds: z.array(z.string()).optional(),
    intent: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('chunk'),
    index: z.number().int().nonnegative(),
    from: z.number().int().nonnegative(),
    count: z.number().int().nonnegative(),
    end: z.boolean(),
    subtasks: z.array(z.looseObject({ id: z.string() })),
  }),
  z.looseObject({
    type: z.literal('run-end'),
    result: z.looseObject({ runId: z.string(), status: z.string(), endedAt: z.number() }),
  }),
]);

/** Parses one journal line: the record, or why it is not one. */
export function parseRecord(line: string): { record: JournalRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not complete JSON (a torn write?)' };
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success)
    return { problem: `not a journal record (${parsed.error.issues[0]?.message ?? 'bad shape'})` };
  return { record: parsed.data as unknown as JournalRecord };
}

/** An error as `{ name, code, message }` (never its stack or cause). */
export function serializeError(error: Error): SerializedError {
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: error.message,
  };
}

/** An error read back from a journal: an ArmyError when it had a code. */
export function restoreError(error: SerializedError): Error {
  const restored =
    error.code !== undefined
      ? new ArmyError(error.code as never, error.message)
      : new Error(error.message);
  restored.name = error.name;
  return restored;
}

/** A RunResult as the journal keeps it. */
export function serializeResult(result: RunResult<unknown>): SerializedRunResult {
  const { error, ...rest } = result;
  return { ...rest, ...(error ? { error: serializeError(error) } : {}) };
}

/** A RunResult read back from its journaled form. */
export function restoreResult(result: SerializedRunResult): RunResult<unknown> {
  const { error, ...rest } = result;
  return { ...rest, ...(error ? { error: restoreError(error) } : {}) };
}
