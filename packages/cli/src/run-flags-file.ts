import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';
import * as z from 'zod';
import type { ArmyFlags } from './army-setup.js';
import type { MapSource } from './commands/map.js';

/**
 * The file `army run` and `army map` write next to a run's journal
 * (`<journal>/<runId>/army-cli.json`) with the flags the orchestrator's
 * journal does not keep (`--root`, `--out`, `--workers auto`, ...), so
 * `army resume <runId>` rebuilds the same army without being told them again.
 */
export const RUN_FLAGS_FILE = 'army-cli.json';

const FORMAT = 'haiku-army-cli-run';
const VERSION = 1;

const runFlagsSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  root: z.string(),
  out: z.string().optional(),
  planner: z.string(),
  /** A model id, or `auto`. */
  workers: z.string(),
  concurrency: z.number().int().positive().optional(),
  /** nano-USD. */
  budget: z.number().int().positive().optional(),
  rounds: z.number().int().positive().optional(),
  batch: z.boolean().optional(),
  /** `--no-cache`: the run reused and stored no cached result, and its resume does neither. */
  cache: z.literal(false).optional(),
  /** `army map`: the items file and brief template, read again by `army resume`. */
  map: z
    .object({
      items: z.string(),
      brief: z.string(),
      chunkSize: z.number().int().positive().optional(),
      chunksAhead: z.number().int().nonnegative().optional(),
      results: z.string().optional(),
      itemsSize: z.number().int().nonnegative().optional(),
      itemsMtimeMs: z.number().nonnegative().optional(),
    })
    .optional(),
});

/** The flags a run was started with, as {@link RUN_FLAGS_FILE} keeps them (absolute paths). */
export type RunFlagsRecord = z.infer<typeof runFlagsSchema>;

/** The path of a run's flags file. */
export function runFlagsPath(journal: string, runId: string): string {
  return path.join(journal, runId, RUN_FLAGS_FILE);
}

/**
 * Writes the flags of a run that is starting. Synchronous on purpose: it is
 * on disk before the first call is sent, so a run killed at any point can be
 * resumed with the same `--root`.
 */
export function writeRunFlags(
  journal: string,
  runId: string,
  flags: Omit<RunFlagsRecord, 'format' | 'version'>,
): void {
  const file = runFlagsPath(journal, runId);
  const record: RunFlagsRecord = { format: FORMAT, version: VERSION, ...flags };
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    throw new ArmyError(
      ERROR_CODES.JOURNAL_NOT_WRITABLE,
      `Cannot write the run's journal under ${journal} (${(error as Error).message}); pass a writable --journal DIR.`,
      { cause: error },
    );
  }
}

/**
 * The flags a run was started with, or undefined when the run was not
 * started by `army run` (a library run) or its file is unreadable.
 */
export function readRunFlags(
  journal: string,
  runId: string,
): (ArmyFlags & { map?: MapSource }) | undefined {
  let text: string;
  try {
    text = readFileSync(runFlagsPath(journal, runId), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: ReturnType<typeof runFlagsSchema.safeParse>;
  try {
    parsed = runFlagsSchema.safeParse(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  const { format: _format, version: _version, ...flags } = parsed.data;
  return flags;
}
