import { defaultCatalog } from '@haiku-army/core';
import { type ArmyFlags, resolveRoot, setUpArmy } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { connect } from '../connection.js';
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

/**
 * `army run "<job>" --root DIR`: plans the job, fans it out to the workers
 * with a live view, prints the answer and the bill. Resolves with the exit code.
 */
export async function runCommand(job: string, flags: RunFlags, io: ResolvedIo): Promise<number> {
  checkArmyFlags(flags, io);
  const connection = await connect(io.env);
  try {
    // Built before the banner: a bad flag is the only line printed.
    const setup = setUpArmy(flags, connection, io);
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
