import { ArmyError } from '@haiku-army/core';
import { runEval } from './eval-command.js';

runEval({ argv: process.argv.slice(2) }).catch((error: unknown) => {
  process.stderr.write(
    `${ArmyError.is(error) ? `${error.code}: ${error.message}` : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exitCode = 1;
});
