import path from 'node:path';
import { defaultCacheDirectory, FileResultCache } from '@haiku-army/orchestrator';
import { journalDir, journalLogger } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { toJson, usageError } from '../errors.js';

/** Flags of `army cache prune` and `army cache clear`. */
export interface CacheFlags {
  /** The cache folder. @default $HAIKU_ARMY_CACHE, else the journal root's default cache folder (`.army/cache` for `.army/runs`) */
  cache?: string;
  journal?: string;
  /** `prune`: entries unused for longer than this (`7d`, `12h`, `30m`, `45s`). @default '7d' */
  olderThan?: string;
  json?: boolean;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration such as `7d` or `12h`, in ms. Hand-written: four units and one
 * regular expression do not need a dependency.
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  if (!match)
    throw usageError(
      `--older-than ${JSON.stringify(text)} is not a duration; pass a number and a unit (s, m, h or d), e.g. --older-than 7d.`,
    );
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

/** The result cache's folder: `--cache`, else HAIKU_ARMY_CACHE (a folder), else defaultCacheDirectory(journal root). */
export function cacheDir(flags: { cache?: string; journal?: string }, io: ResolvedIo): string {
  const fromEnvironment = io.env.HAIKU_ARMY_CACHE?.trim();
  const named =
    flags.cache ??
    (fromEnvironment && !['off', 'false', '0', 'no'].includes(fromEnvironment.toLowerCase())
      ? fromEnvironment
      : undefined);
  if (named !== undefined) return path.resolve(io.cwd, named);
  return defaultCacheDirectory(journalDir(flags.journal, io));
}

/** `army cache prune|clear`: removes old (or every) result cache entries. Resolves with the exit code. */
export async function cacheCommand(
  action: 'prune' | 'clear',
  flags: CacheFlags,
  io: ResolvedIo,
): Promise<number> {
  const directory = cacheDir(flags, io);
  const cache = new FileResultCache({ directory, logger: journalLogger(io) });
  const olderThanMs = action === 'prune' ? parseDuration(flags.olderThan ?? '7d') : 0;
  const removed =
    action === 'prune' ? await cache.prune({ olderThanMs, now: io.now }) : await cache.clear();
  if (flags.json) io.out(toJson({ cache: directory, action, removed }));
  else
    io.out(
      action === 'prune'
        ? `Removed ${removed} cached result(s) unused for over ${flags.olderThan ?? '7d'} from ${directory}.`
        : `Removed ${removed} cached result(s) from ${directory}.`,
    );
  return 0;
}
