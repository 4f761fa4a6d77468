import { statSync } from 'node:fs';
import path from 'node:path';
import { Budget, createGateway, type Logger } from '@haiku-army/core';
import {
  type Army,
  type ArmyOptions,
  createArmy,
  DEFAULT_PLANNER_MODEL,
  DEFAULT_WORKER_MODEL,
  type Router,
} from '@haiku-army/orchestrator';
import { complexityMap } from '@haiku-army/router';
import { codebaseTools, type FileWriter, type Tool, writeFiles } from '@haiku-army/worker';
import type { ResolvedIo } from './cli-io.js';
import { cacheDir } from './commands/cache.js';
import type { Connection } from './connection.js';
import { DEFAULT_JOURNAL_DIR, OFFLINE_BATCH_POLL_MS } from './constants.js';
import { CountingGateway } from './counting-gateway.js';
import { usageError } from './errors.js';

/** The flags `army run`, `army estimate` and `army resume` share. Money in nano-USD. */
export interface ArmyFlags {
  root?: string;
  planner?: string;
  /** A model id, or `auto` for the router package's complexity map. */
  workers?: string;
  concurrency?: number;
  budget?: number;
  rounds?: number;
  batch?: boolean;
  out?: string;
  journal?: string;
  /** `false` with `--no-cache`. */
  cache?: boolean;
}

/** The orchestrator's options the CLI sets that land on main with the journal and batch mode. */
export type CliArmyOptions = ArmyOptions & {
  journal?: string | false;
};

/** What the flags describe: the army's options and what the views need to know about them. */
export interface ArmyConfig {
  /** The gateway every call goes through (it counts calls in flight). */
  gateway: CountingGateway;
  /** The options the army was created with. */
  options: CliArmyOptions;
  /** `--root`, absolute. */
  root: string;
  /** The journal directory, absolute. */
  journal: string;
  planner: string;
  /** The workers' model, or the router's name with `--workers auto`. */
  workers: string;
  /** The router with `--workers auto`. */
  router?: Router;
  /** The tools the workers get. */
  tools: readonly Tool[];
  /** The `--out` writer. */
  writer?: FileWriter;
}

/** An army built from the flags, and what the views need to know about it. */
export interface ArmySetup extends ArmyConfig {
  army: Army;
}

/** Whether HAIKU_ARMY_CACHE turns the result cache off. */
function cacheOff(io: ResolvedIo): boolean {
  const value = io.env.HAIKU_ARMY_CACHE?.trim().toLowerCase();
  return value !== undefined && ['off', 'false', '0', 'no'].includes(value);
}

/** The journal directory: `--journal`, else `HAIKU_ARMY_JOURNAL`, else `.army/runs`, against the working directory. */
export function journalDir(flag: string | undefined, io: ResolvedIo): string {
  return path.resolve(io.cwd, flag ?? io.env.HAIKU_ARMY_JOURNAL ?? DEFAULT_JOURNAL_DIR);
}

/** Warnings of the journal reader (a torn line skipped), as `army: warning:` lines on stderr. */
export function journalLogger(io: ResolvedIo): Logger {
  return { warn: (message) => io.err(`army: warning: ${message}`) };
}

/** `--root`, absolute, checked to be a directory. */
export function resolveRoot(root: string | undefined, io: ResolvedIo): string {
  if (root === undefined || root.trim() === '')
    throw usageError(
      'Missing --root: pass the folder the workers may read, e.g. `army run "<job>" --root .`.',
    );
  const absolute = path.resolve(io.cwd, root);
  let isDirectory = false;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {}
  if (!isDirectory)
    throw usageError(
      `--root ${JSON.stringify(root)} is not a directory (${absolute}); pass the folder the workers may read, e.g. --root .`,
    );
  return absolute;
}

/**
 * The army the flags describe, without creating it (`army resume` hands the
 * options to `resumeRun`): the codebase tools on `--root` (and
 * `writeFiles` on `--out`), `root: <dir>` as the planner's context, the
 * workers' model or `--workers auto` (the router package's `complexityMap`:
 * the planner's complexity label picks Haiku, Sonnet or Opus), a run budget,
 * the journal, batch mode. Unknown models throw `UNKNOWN_MODEL` here.
 */
export function armyConfig(
  flags: ArmyFlags,
  connection: Connection,
  io: ResolvedIo,
  extra: Partial<CliArmyOptions> = {},
): ArmyConfig {
  const root = resolveRoot(flags.root, io);
  const journal = journalDir(flags.journal, io);
  const inner = createGateway({
    apiKey: connection.apiKey,
    ...(connection.baseURL !== undefined ? { baseURL: connection.baseURL } : {}),
    ...(flags.budget !== undefined
      ? { budget: new Budget({ limits: { run: flags.budget } }) }
      : {}),
  });
  const gateway = new CountingGateway(inner);
  const catalog = inner.catalog;
  const planner = catalog.get(flags.planner ?? DEFAULT_PLANNER_MODEL).id;
  const auto = flags.workers === 'auto';
  const router = auto ? complexityMap({ catalog }) : undefined;
  const workerModel = auto ? undefined : catalog.get(flags.workers ?? DEFAULT_WORKER_MODEL).id;
  const writer =
    flags.out !== undefined ? writeFiles({ outDir: path.resolve(io.cwd, flags.out) }) : undefined;
  const tools: Tool[] = [...codebaseTools({ root }), ...(writer?.tools ?? [])];
  const options: CliArmyOptions = {
    gateway,
    planner,
    workers: router ?? workerModel!,
    tools,
    context: `root: ${root}`,
    journal,
    cache:
      flags.cache === false || cacheOff(io)
        ? false
        : cacheDir({ ...(flags.journal !== undefined ? { journal: flags.journal } : {}) }, io),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.rounds !== undefined ? { rounds: flags.rounds } : {}),
    ...(flags.batch
      ? {
          mode: 'batch' as const,
          // The fake ends a batch within ms; the API's default first poll waits seconds.
          ...(connection.offline ? { batchPollIntervalMs: OFFLINE_BATCH_POLL_MS } : {}),
        }
      : {}),
    ...(writer ? { artifacts: writer } : {}),
    ...extra,
  };
  return {
    gateway,
    options,
    root,
    journal,
    planner,
    workers: router?.name ?? workerModel!,
    ...(router ? { router } : {}),
    tools,
    ...(writer ? { writer } : {}),
  };
}

/** {@link armyConfig}, and the army created from it. */
export function setUpArmy(
  flags: ArmyFlags,
  connection: Connection,
  io: ResolvedIo,
  extra: Partial<CliArmyOptions> = {},
): ArmySetup {
  const config = armyConfig(flags, connection, io, extra);
  return { ...config, army: createArmy(config.options) };
}
