import { basename, dirname, join, resolve } from 'node:path';
import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import { JOURNAL_FILE } from './journal-format.js';

/** The journal root when `journal` is not given (relative to `process.cwd()`). */
export const DEFAULT_JOURNAL_ROOT = '.army/runs';

/** Where a run's folder may be named after its id: no separators, no dot names. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * The journal root as an absolute path (`journal`, else HAIKU_ARMY_JOURNAL,
 * else `.army/runs` under the working directory), or undefined for `false`.
 */
export function resolveJournalRoot(journal: unknown): string | undefined {
  if (journal === false) return undefined;
  if (journal === undefined) return resolve(process.env.HAIKU_ARMY_JOURNAL || DEFAULT_JOURNAL_ROOT);
  if (typeof journal !== 'string' || journal.trim().length === 0)
    throw invalidOption('journal', 'a directory path or false', journal);
  return resolve(journal);
}

/** The folder of one run's journal. @throws ArmyError `INVALID_OPTIONS` for an id that cannot name a folder */
export function runDirectory(root: string, runId: string, option = 'runId'): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId))
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`${option}\` to be a run id (letters, digits, ".", "_" and "-", starting with a letter or digit; at most 200), got ${JSON.stringify(runId)}.`,
    );
  return join(root, runId);
}

/** The journal file of one run. */
export function journalPath(root: string, runId: string, option?: string): string {
  return join(runDirectory(root, runId, option), JOURNAL_FILE);
}

/**
 * The result cache's default folder: `cache` beside a journal root named
 * `runs` (`.army/cache` for the default `.army/runs`), else `.cache` inside
 * the journal root, so a journal root such as `/tmp/my-runs` never shares
 * `/tmp/cache` with unrelated projects (run listings skip dot folders).
 */
export function defaultCacheDirectory(journalRoot: string): string {
  return basename(journalRoot) === 'runs'
    ? join(dirname(journalRoot), 'cache')
    : join(journalRoot, '.cache');
}
