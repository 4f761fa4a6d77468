import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidOption, type Logger } from '@haiku-army/core';
import { hashContent } from '@haiku-army/worker';
import type { CachedResult, PruneOptions, ResultCache } from './result-cache.js';

/** The first line of every cache file. */
export const CACHE_FORMAT = 'haiku-army-result-cache';
/** Version of the cache file layout; a file of another version is a miss. */
export const CACHE_FORMAT_VERSION = 1;

const KEY = /^[0-9a-f]{64}$/;
const ENTRY_FILE = /^[0-9a-f]{64}\.json$/;

/** Options of {@link FileResultCache}. */
export interface FileResultCacheOptions {
  /** The cache folder (e.g. `.army/cache`). Created on the first write. */
  directory: string;
  /** Where a corrupt entry is reported. @default console */
  logger?: Logger;
}

/**
 * The default {@link ResultCache}: one file per entry under
 * `<directory>/<first two hex digits>/<key>.json`. A file is a header line
 * (format, version, key and the sha256 of the body) and the body (the
 * entry's JSON); it is written to a temporary file and renamed into place,
 * so a reader sees the old entry or the new one, never half of one. A torn
 * or edited file (its body no longer hashes to the header's hash) is
 * reported through the logger and treated as a miss. A hit touches the
 * file's mtime, so `prune` removes what was not used lately.
 */
export class FileResultCache implements ResultCache {
  readonly directory: string;
  readonly #logger: Logger;

  constructor(options: FileResultCacheOptions) {
    if (!options || typeof options.directory !== 'string' || options.directory.trim() === '')
      throw invalidOption('cache.directory', 'a directory path', options?.directory);
    this.directory = options.directory;
    this.#logger = options.logger ?? console;
  }

  #path(key: string): string {
    return join(this.directory, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CachedResult | undefined> {
    if (!KEY.test(key)) return undefined;
    const path = this.#path(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.#logger.warn(
        `Result cache: cannot read ${path} (${(error as Error).message}); running the subtask instead.`,
      );
      return undefined;
    }
    const entry = this.#parse(text, key);
    if (typeof entry === 'string') {
      this.#logger.warn(
        `Result cache: ${path} is corrupt (${entry}); ignoring it and running again.`,
      );
      return undefined;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return entry;
  }

  /** The entry, or why the file cannot be one. */
  #parse(text: string, key: string): CachedResult | string {
    const newline = text.indexOf('\n');
    if (newline < 0) return 'no header line (a torn write)';
    let header: { format?: unknown; version?: unknown; key?: unknown; hash?: unknown };
    try {
      header = JSON.parse(text.slice(0, newline));
    } catch {
      return 'the header is not JSON';
    }
    if (header.format !== CACHE_FORMAT) return 'not a result cache file';
    if (header.version !== CACHE_FORMAT_VERSION)
      return `format version ${String(header.version)}, expected ${CACHE_FORMAT_VERSION}`;
    if (header.key !== key) return 'stored under another key';
    const body = text.slice(newline + 1);
    if (hashContent(body) !== header.hash) return 'hash mismatch: the body is torn or was changed';
    try {
      const entry = JSON.parse(body) as CachedResult;
      if (!entry || entry.key !== key || typeof entry.kind !== 'string')
        return 'the body is not an entry';
      return entry;
    } catch {
      return 'the body is not JSON';
    }
  }

  async put(entry: CachedResult): Promise<void> {
    if (!KEY.test(entry.key)) throw invalidOption('entry.key', 'a sha256 hex key', entry.key);
    const path = this.#path(entry.key);
    const body = JSON.stringify(entry);
    const header = JSON.stringify({
      format: CACHE_FORMAT,
      version: CACHE_FORMAT_VERSION,
      key: entry.key,
      hash: hashContent(body),
    });
    await mkdir(join(this.directory, entry.key.slice(0, 2)), { recursive: true });
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, `${header}\n${body}`);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Every entry file (and leftover temporary file), with its mtime. */
  async #files(): Promise<{ path: string; mtimeMs: number; entry: boolean }[]> {
    const found: { path: string; mtimeMs: number; entry: boolean }[] = [];
    let shards: string[];
    try {
      shards = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found;
      throw error;
    }
    for (const shard of shards) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await readdir(join(this.directory, shard)).catch(() => [] as string[])) {
        const path = join(this.directory, shard, name);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) continue;
        found.push({ path, mtimeMs: info.mtimeMs, entry: ENTRY_FILE.test(name) });
      }
    }
    return found;
  }

  async prune(options: PruneOptions): Promise<number> {
    if (!options || !Number.isFinite(options.olderThanMs) || options.olderThanMs < 0)
      throw invalidOption('olderThanMs', 'a number of milliseconds >= 0', options?.olderThanMs);
    const cutoff = (options.now ?? Date.now)() - options.olderThanMs;
    let removed = 0;
    for (const file of await this.#files()) {
      if (file.mtimeMs >= cutoff) continue;
      await rm(file.path, { force: true });
      if (file.entry) removed += 1;
    }
    return removed;
  }

  async clear(): Promise<number> {
    let removed = 0;
    for (const file of await this.#files()) {
      await rm(file.path, { force: true });
      if (file.entry) removed += 1;
    }
    return removed;
  }
}
