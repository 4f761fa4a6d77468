import { ArmyError } from '@haiku-army/core';
import { runTrain } from './train-command.js';

runTrain({ argv: process.argv.slice(2) }).catch((error: unknown) => {
  process.stderr.write(
    `${ArmyError.is(error) ? `${error.code}: ${error.message}` : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exitCode = 1;
});
