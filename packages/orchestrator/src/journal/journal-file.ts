import {
  closeSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';

/** Flushes a file descriptor to disk. */
export type SyncFile = (fd: number) => Promise<void>;

const dataSync: SyncFile = (fd) =>
  new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));

/** The error for a journal that cannot be written, naming the path and the options that move or disable it. */
export function notWritable(path: string, cause: unknown): ArmyError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ArmyError(
    ERROR_CODES.JOURNAL_NOT_WRITABLE,
    `Cannot write the run journal at ${path}: ${reason}. Make that directory writable, point the \`journal\` option ` +
      '(or HAIKU_ARMY_JOURNAL) at one that is, or pass `journal: false` to run without a journal (no resume).',
    { cause },
  );
}

/**
 * One journal file, appended to with one synchronous `write` per record (so
 * a killed process loses at most the line being written, and records land
 * in call order), and flushed to disk with group commit: a `sync()` asked
 * while a flush is running waits for the next one, which covers every write
 * made meanwhile, so concurrent subtasks that finish together share one
 * fdatasync instead of paying one each.
 *
 * Hand-written rather than a logging library's because the guarantee is
 * exact: `sync()` resolves only after a flush that started after the
 * caller's write.
 */
export class JournalFile {
  readonly path: string;
  readonly #fd: number;
  readonly #sync: SyncFile;
  /** The flush running now. */
  #running: Promise<void> | undefined;
  /** The flush that starts when the running one ends (covers writes made meanwhile). */
  #next: Promise<void> | undefined;
  #closed = false;
  /** Flushes started, for tests and benches. */
  syncs = 0;

  private constructor(path: string, fd: number, sync: SyncFile) {
    this.path = path;
    this.#fd = fd;
    this.#sync = sync;
  }

  /**
   * Opens (creating it and its folder when missing) a journal file for
   * appending. A torn last line from a crash is closed with a newline, so
   * the next record starts on its own line.
   * @throws ArmyError `JOURNAL_NOT_WRITABLE`
   */
  static open(path: string, options: { sync?: SyncFile } = {}): JournalFile {
    let fd: number | undefined;
    try {
      const folder = dirname(path);
      mkdirSync(folder, { recursive: true });
      fd = openSync(path, 'a+');
      const size = fstatSync(fd).size;
      if (size === 0) syncFolder(folder);
      else {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) writeSync(fd, '\n');
      }
      return new JournalFile(path, fd, options.sync ?? dataSync);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      throw notWritable(dirname(path), error);
    }
  }

  /** Appends lines (each without its newline) in one write. */
  write(lines: readonly string[]): void {
    if (this.#closed)
      throw new ArmyError(ERROR_CODES.INVALID_STATE, `The journal ${this.path} is closed.`);
    const buffer = Buffer.from(`${lines.join('\n')}\n`);
    try {
      for (let offset = 0; offset < buffer.length; )
        offset += writeSync(this.#fd, buffer, offset, buffer.length - offset);
    } catch (error) {
      throw notWritable(this.path, error);
    }
  }

  /** Resolves once every line written before the call is on disk (a flush shared with concurrent callers). */
  sync(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#running) return this.#start();
    const after = () => {
      this.#next = undefined;
      return this.#start();
    };
    this.#next = this.#running.then(after, after);
    return this.#next;
  }

  #start(): Promise<void> {
    this.syncs += 1;
    const running = this.#sync(this.#fd).then(
      () => {},
      (error: unknown) => {
        throw notWritable(this.path, error);
      },
    );
    this.#running = running;
    const clear = () => {
      if (this.#running === running) this.#running = undefined;
    };
    running.then(clear, clear);
    return running;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.sync();
    } finally {
      this.#closed = true;
      closeSync(this.#fd);
    }
  }
}

/** Makes a new file's directory entry durable too (best effort: not every platform can open a folder). */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; the file's own flushes still hold.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
