import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { defaultCatalog } from '@haiku-army/core';
import { type ArmyFlags, type ArmySetup, resolveRoot, setUpArmy } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { connect } from '../connection.js';
import { type RunFlagsRecord, writeRunFlags } from '../run-flags-file.js';
import { watchRun } from './watch-run.js';

/** Flags of `army run`. */
export interface RunFlags extends ArmyFlags {
  json?: boolean;
}

/** Checks what can be checked before the fake starts or money is spent: `--root` and the model ids. */
export function checkArmyFlags(flags: ArmyFlags, io: ResolvedIo): void {
  resolveRoot(flags.root, io);
  if (flags.planner !== undefined) defaultCatalog.get(flags.planner);
  if (flags.workers !== undefined && flags.workers !== 'auto') defaultCatalog.get(flags.workers);
}

/** The flags a run's flags file keeps (see RUN_FLAGS_FILE), as the army resolved them. */
export function runFlagsOf(
  flags: ArmyFlags,
  setup: ArmySetup,
  io: ResolvedIo,
): Omit<RunFlagsRecord, 'format' | 'version'> {
  return {
    root: setup.root,
    ...(flags.out !== undefined ? { out: path.resolve(io.cwd, flags.out) } : {}),
    planner: setup.planner,
    workers: flags.workers === 'auto' ? 'auto' : setup.workers,
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
    ...(flags.rounds !== undefined ? { rounds: flags.rounds } : {}),
    ...(flags.batch ? { batch: true } : {}),
    ...(flags.cache === false ? { cache: false as const } : {}),
  };
}

/**
 * `army run "<job>" --root DIR`: plans the job, fans it out to the workers
 * with a live view, prints the answer and the bill. Resolves with the exit code.
 */
export async function runCommand(job: string, flags: RunFlags, io: ResolvedIo): Promise<number> {
  checkArmyFlags(flags, io);
  const connection = await connect(io.env);
  try {
    // The id is chosen here so its flags are on disk before the run sends anything.
    const runId = randomUUID();
    // Built before the banner: a bad flag is the only line printed.
    const setup = setUpArmy(flags, connection, io, { generateId: () => runId });
    // Next to the journal: what `army resume` needs and the journal does not keep.
    writeRunFlags(setup.journal, runId, runFlagsOf(flags, setup, io));
    io.err(connection.banner);
    const controller = new AbortController();
    const handle = setup.army.run(job, { signal: controller.signal });
    return await watchRun(handle, {
      io,
      setup,
      connection,
      controller,
      json: flags.json === true,
      job,
      ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
      ...(flags.batch ? { batch: true } : {}),
    });
  } finally {
    await connection.close();
  }
}
