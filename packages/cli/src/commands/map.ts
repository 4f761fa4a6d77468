import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type SubtaskResult, stoppedByRun } from '@haiku-army/orchestrator';
import { type ArmyFlags, setUpArmy } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { connect } from '../connection.js';
import { EXIT } from '../constants.js';
import { usageError } from '../errors.js';
import { writeRunFlags } from '../run-flags-file.js';
import { checkArmyFlags, runFlagsOf } from './run.js';
import { watchRun } from './watch-run.js';

/** Where a brief template takes its item. */
export const ITEM_PLACEHOLDER = '{item}';

/** Flags of `army map`. */
export interface MapFlags extends ArmyFlags {
  brief?: string;
  /** Items read, journaled and run at a time (a Message Batch each with --batch). */
  chunk?: number;
  /** With --batch, chunks read and submitted ahead of the one running. */
  chunksAhead?: number;
  /** A JSONL file each result is appended to as it finishes. */
  results?: string;
  json?: boolean;
}

/** What `army map` needs to read its items again (kept in the run's flags file for `army resume`). */
export interface MapSource {
  /** The items file, absolute. */
  items: string;
  /** The brief template, with {@link ITEM_PLACEHOLDER}. */
  brief: string;
  chunkSize?: number;
  chunksAhead?: number;
  /** The results file, absolute. */
  results?: string;
  /** The items file's size and modification time when the map started: a resume refuses a changed file. */
  itemsSize?: number;
  itemsMtimeMs?: number;
}

/** Checks `--brief`: a template that names where the item goes. */
function checkBrief(brief: string | undefined): string {
  if (brief === undefined || brief.trim() === '')
    throw usageError(
      `Missing --brief: pass what each worker does with its item, with ${ITEM_PLACEHOLDER} where the item goes, e.g. --brief "Label the support ticket ${ITEM_PLACEHOLDER} as bug, question or request."`,
    );
  if (!brief.includes(ITEM_PLACEHOLDER))
    throw usageError(
      `--brief ${JSON.stringify(brief)} has no ${ITEM_PLACEHOLDER}; put ${ITEM_PLACEHOLDER} where each line of the items file goes.`,
    );
  return brief;
}

/** The items file, absolute, checked to be a readable file. */
function checkItemsFile(file: string, io: ResolvedIo): string {
  const absolute = path.resolve(io.cwd, file);
  let isFile = false;
  try {
    isFile = statSync(absolute).isFile();
  } catch {}
  if (!isFile)
    throw usageError(
      `The items file ${JSON.stringify(file)} is not a file (${absolute}); pass a text file with one item per line.`,
    );
  return absolute;
}

/**
 * The items of a map: the file's non-empty lines, streamed (never read
 * whole), so a million-line file costs the memory of one chunk. Trailing
 * `\r` (CRLF files) is dropped; blank lines are skipped, so item numbers
 * count the non-empty lines.
 */
export async function* readItems(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (line.trim() !== '') yield line;
  } finally {
    lines.close();
    // Closing the interface leaves the file open when the map stops early.
    input.destroy();
  }
}

/** The brief of one item: the template with every {@link ITEM_PLACEHOLDER} replaced. */
export function briefOf(template: string): (item: string) => string {
  // A function replacement: an item's `$&` or `$1` stays as written.
  return (item) => template.replaceAll(ITEM_PLACEHOLDER, () => item);
}

/**
 * Appends each result a resume would keep to a JSONL file as it finishes
 * (a cancelled one is not written: the resume runs it and writes it then),
 * waiting when the stream's buffer is full so a fast map cannot outgrow
 * memory. The file is opened at once, so a path that cannot be written is
 * an error before anything is spent. A write that fails later (a full disk)
 * does not fail the run: `onFailure` is told (the commands cancel the run,
 * which stays resumable), later results are not written, and `army resume`
 * appends the ones missing, from the journal, which has every result first.
 */
export class ResultsFile {
  readonly file: string;
  readonly #stream: WriteStream;
  readonly #runId: string;
  #failed: Error | undefined;
  #onFailure: ((error: Error) => void) | undefined;

  constructor(file: string, runId: string) {
    let fd: number;
    try {
      fd = openSync(file, 'a+');
    } catch (error) {
      throw usageError(
        `Cannot open the results file ${file} (${(error as Error).message}); pass a --results path in a writable folder.`,
      );
    }
    this.file = file;
    this.#runId = runId;
    // A line a crash tore off is ended first, so the next result starts a line of its own.
    const torn = endsTorn(fd);
    this.#stream = createWriteStream(file, { fd });
    if (torn) this.#stream.write('\n');
    this.#stream.on('error', (error) => {
      if (this.#failed) return;
      this.#failed = error;
      this.#onFailure?.(error);
    });
  }

  /**
   * Called once with the first write error; at once when set after one (the
   * stream reports it asynchronously, maybe before the run has started).
   */
  set onFailure(callback: (error: Error) => void) {
    this.#onFailure = callback;
    if (this.#failed) callback(this.#failed);
  }

  /** The first write error, if a write failed. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /** Writes one result (as `onResult`). */
  readonly write = async (result: SubtaskResult): Promise<void> => {
    // After a failed write the journal keeps the results; a resume writes them.
    if (this.#failed || stoppedByRun(result)) return;
    const line = {
      runId: this.#runId,
      id: result.id,
      status: result.status,
      summary: result.summary,
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(result.model !== undefined ? { model: result.model } : {}),
      calls: result.calls,
      cost: result.cost.total,
    };
    // A failure while waiting for `drain` is the stream's 'error' (see above).
    if (!this.#stream.write(`${JSON.stringify(line)}\n`))
      await once(this.#stream, 'drain').catch(() => {});
  };

  /** Flushes and closes the file (a failure to is in `failed`). */
  async close(): Promise<void> {
    if (this.#stream.closed || this.#stream.destroyed) return;
    this.#stream.end();
    await once(this.#stream, 'close').catch(() => {});
  }
}

/**
 * After a command whose results file could not be written: says so, and how
 * the missing results get there. Returns the exit code (a failure).
 */
export function resultsFileFailed(results: ResultsFile, runId: string, io: ResolvedIo): number {
  io.err(
    `army: writing the results file ${results.file} failed (${results.failed!.message}). Every finished result is in the journal: once the file can be written, \`army resume ${runId}\` appends the ones it lacks (and runs any items not finished).`,
  );
  return EXIT.FAILED;
}

/** Whether the open file is non-empty and its last byte is not a newline. */
function endsTorn(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/**
 * The ids of the run's results already in a results file: a resume writes
 * the kept results a crash left out of it (the journal had them first).
 */
export async function idsInResults(file: string, runId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  // Only a regular file holds lines (a device such as /dev/null or /dev/full holds none).
  if (!existsSync(file) || !statSync(file).isFile()) return ids;
  for await (const line of readItems(file)) {
    try {
      const parsed = JSON.parse(line) as { runId?: unknown; id?: unknown };
      if (parsed.runId === runId && typeof parsed.id === 'string') ids.add(parsed.id);
    } catch {
      // A line torn by a crash: its result is written again.
    }
  }
  return ids;
}

/** The items file's size and modification time, to tell on resume that it changed. */
export function itemsFingerprint(file: string): { itemsSize: number; itemsMtimeMs: number } {
  const stat = statSync(file);
  return { itemsSize: stat.size, itemsMtimeMs: stat.mtimeMs };
}

/** The map's run options from its source: the items again, their briefs, the results file. */
export function mapRunOptions(source: MapSource, results: ResultsFile | undefined) {
  return {
    items: readItems(source.items),
    brief: briefOf(source.brief),
    ...(results ? { onResult: results.write } : {}),
    ...(source.chunksAhead !== undefined ? { chunksAhead: source.chunksAhead } : {}),
  };
}

/**
 * `army map <items-file> --brief "... {item} ..." --root DIR`: one worker
 * subtask per line of the file, no planner call. The file is streamed in
 * chunks of `--chunk` lines (each a Message Batch with `--batch`), each
 * chunk journaled before it runs; no per-item result is kept in memory, so
 * the file may have millions of lines. Each result goes to the journal
 * (`army report`) and, with `--results FILE`, to a JSONL file as it
 * finishes. `army resume <runId>` reads the same file on after a crash.
 * Resolves with the exit code.
 */
export async function mapCommand(
  itemsFile: string,
  flags: MapFlags,
  io: ResolvedIo,
): Promise<number> {
  checkArmyFlags(flags, io);
  if (flags.rounds !== undefined)
    throw usageError(
      '--rounds sets the planning rounds of `army run`; `army map` has no planner (one subtask per line), so drop it.',
    );
  const items = checkItemsFile(itemsFile, io);
  const source: MapSource = {
    items,
    brief: checkBrief(flags.brief),
    ...(flags.chunk !== undefined ? { chunkSize: flags.chunk } : {}),
    ...(flags.chunksAhead !== undefined ? { chunksAhead: flags.chunksAhead } : {}),
    ...(flags.results !== undefined ? { results: path.resolve(io.cwd, flags.results) } : {}),
    ...itemsFingerprint(items),
  };
  const runId = randomUUID();
  // Opened before anything is spent: a path that cannot be written is the only line printed.
  const results = source.results ? new ResultsFile(source.results, runId) : undefined;
  let code: number;
  try {
    code = await mapWith(source, results, runId, flags, io);
  } finally {
    await results?.close();
  }
  return results?.failed ? resultsFileFailed(results, runId, io) : code;
}

async function mapWith(
  source: MapSource,
  results: ResultsFile | undefined,
  runId: string,
  flags: MapFlags,
  io: ResolvedIo,
): Promise<number> {
  const connection = await connect(io.env);
  try {
    const setup = setUpArmy(flags, connection, io, { generateId: () => runId });
    writeRunFlags(setup.journal, runId, { ...runFlagsOf(flags, setup, io), map: source });
    io.err(connection.banner);
    const controller = new AbortController();
    if (results) results.onFailure = (error) => controller.abort(error);
    const { items, brief, ...rest } = mapRunOptions(source, results);
    const job = `Map over ${path.basename(source.items)}: ${source.brief}`;
    const handle = setup.army.map(items, brief, {
      job,
      keepResults: false,
      signal: controller.signal,
      ...(source.chunkSize !== undefined ? { chunkSize: source.chunkSize } : {}),
      ...rest,
    });
    return await watchRun(handle, {
      io,
      setup,
      connection,
      controller,
      json: flags.json === true,
      job,
      quiet: true,
      ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
      ...(flags.batch ? { batch: true } : {}),
    });
  } finally {
    await connection.close();
  }
}
