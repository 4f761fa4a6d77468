import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { SubtaskResult } from '@haiku-army/orchestrator';
import { type ArmyFlags, setUpArmy } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { connect } from '../connection.js';
import { usageError } from '../errors.js';
import { writeRunFlags } from '../run-flags-file.js';
import { checkArmyFlags } from './run.js';
import { watchRun } from './watch-run.js';

/** Where a brief template takes its item. */
export const ITEM_PLACEHOLDER = '{item}';

/** Flags of `army map`. */
export interface MapFlags extends ArmyFlags {
  brief?: string;
  /** Items read, journaled and run at a time (a Message Batch each with --batch). */
  chunk?: number;
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
  /** The results file, absolute. */
  results?: string;
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
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  try {
    for await (const line of lines) if (line.trim() !== '') yield line;
  } finally {
    lines.close();
  }
}

/** The brief of one item: the template with every {@link ITEM_PLACEHOLDER} replaced. */
export function briefOf(template: string): (item: string) => string {
  // A function replacement: an item's `$&` or `$1` stays as written.
  return (item) => template.replaceAll(ITEM_PLACEHOLDER, () => item);
}

/**
 * Appends each result to a JSONL file as it finishes, waiting when the
 * stream's buffer is full (so a fast map cannot outgrow memory).
 */
export class ResultsFile {
  readonly #stream: WriteStream;
  #failed: Error | undefined;

  constructor(file: string) {
    this.#stream = createWriteStream(file, { flags: 'a' });
    this.#stream.on('error', (error) => {
      this.#failed = error;
    });
  }

  /** Writes one result (as `onResult`). */
  readonly write = async (result: SubtaskResult): Promise<void> => {
    if (this.#failed) throw this.#failed;
    const line = {
      id: result.id,
      status: result.status,
      summary: result.summary,
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(result.model !== undefined ? { model: result.model } : {}),
      cost: result.cost.total,
    };
    if (!this.#stream.write(`${JSON.stringify(line)}\n`)) await once(this.#stream, 'drain');
  };

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.#stream.closed || this.#stream.destroyed) return;
    this.#stream.end();
    await once(this.#stream, 'close');
    if (this.#failed) throw this.#failed;
  }
}

/** The map's run options from its source: the items again, their briefs, the results file. */
export function mapRunOptions(source: MapSource, results: ResultsFile | undefined) {
  return {
    items: readItems(source.items),
    brief: briefOf(source.brief),
    ...(results ? { onResult: results.write } : {}),
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
  const source: MapSource = {
    items: checkItemsFile(itemsFile, io),
    brief: checkBrief(flags.brief),
    ...(flags.chunk !== undefined ? { chunkSize: flags.chunk } : {}),
    ...(flags.results !== undefined ? { results: path.resolve(io.cwd, flags.results) } : {}),
  };
  const connection = await connect(io.env);
  let results: ResultsFile | undefined;
  try {
    const runId = randomUUID();
    const setup = setUpArmy(flags, connection, io, { generateId: () => runId });
    writeRunFlags(setup.journal, runId, {
      root: setup.root,
      ...(flags.out !== undefined ? { out: path.resolve(io.cwd, flags.out) } : {}),
      planner: setup.planner,
      workers: flags.workers === 'auto' ? 'auto' : setup.workers,
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
      ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
      ...(flags.batch ? { batch: true } : {}),
      map: source,
    });
    if (source.results) results = new ResultsFile(source.results);
    io.err(connection.banner);
    const controller = new AbortController();
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
      perItem: true,
      ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
      ...(flags.batch ? { batch: true } : {}),
    });
  } finally {
    await results?.close();
    await connection.close();
  }
}
