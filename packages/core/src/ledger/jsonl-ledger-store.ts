import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ArmyError, ERROR_CODES } from '../errors.js';
import type { LedgerEntry } from './ledger-entry.js';
import type { LedgerStore } from './ledger-store.js';

/** Receives warnings (e.g. a torn line skipped on load). */
export interface Logger {
  warn(message: string): void;
  info?(message: string): void;
  debug?(message: string): void;
}

/** Options for {@link JsonlLedgerStore}. */
export interface JsonlLedgerStoreOptions {
  /** The file to append to; created (with its folder) when missing. */
  path: string;
  /** Where load warnings go. @default console */
  logger?: Logger;
}

/**
 * An append-only JSON Lines file, one entry per line, written with one
 * synchronous `write` per entry so a killed process loses at most the line
 * being written. On load a torn or corrupt line is skipped with a warning,
 * never a crash; the next append starts on a fresh line.
 */
export class JsonlLedgerStore implements LedgerStore {
  readonly path: string;
  readonly #logger: Logger;
  #fd: number | undefined;

  constructor(options: JsonlLedgerStoreOptions) {
    if (!options || typeof options.path !== 'string' || options.path.length === 0) {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        'Expected `path` to be a file path for the JSONL ledger store.',
      );
    }
    this.path = options.path;
    this.#logger = options.logger ?? console;
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(this.path, 'a+');
      // A crash may have left a torn last line: start ours on a fresh one.
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) writeSync(fd, '\n');
      }
      this.#fd = fd;
      return fd;
    } catch (error) {
      throw new ArmyError(
        ERROR_CODES.LEDGER_STORE_FAILED,
        `Cannot open ledger file ${this.path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  append(entry: LedgerEntry): void {
    const fd = this.#open();
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
    } catch (error) {
      throw new ArmyError(
        ERROR_CODES.LEDGER_STORE_FAILED,
        `Cannot append to ledger file ${this.path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  load(): LedgerEntry[] {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    const lines = text.split('\n');
    const entries: LedgerEntry[] = [];
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index] as string;
      if (line.trim().length === 0) continue;
      try {
        const parsed = JSON.parse(line) as LedgerEntry;
        if (!parsed || typeof parsed.id !== 'string' || typeof parsed.cost?.total !== 'number') {
          throw new Error('not a ledger entry');
        }
        entries.push(parsed);
      } catch {
        const torn = index === lines.length - 1;
        this.#logger.warn(
          `Skipped ${torn ? 'a torn last line' : 'a corrupt line'} (line ${index + 1}) in ledger file ${this.path}` +
            (torn ? ' (the process was probably killed while writing it).' : '.'),
        );
      }
    }
    return entries;
  }

  close(): void {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}
