import { EXIT } from './constants.js';
import { runCli } from './program.js';

/**
 * The `army` binary: the program on the process's streams. The first Ctrl-C
 * aborts the command (a run is cancelled cleanly and its journal kept); a
 * second one quits at once.
 */
const interrupt = new AbortController();
const onSigint = () => {
  if (interrupt.signal.aborted) process.exit(EXIT.INTERRUPTED);
  interrupt.abort();
};
process.on('SIGINT', onSigint);
process.on('SIGTERM', onSigint);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupt: interrupt.signal,
});
process.off('SIGINT', onSigint);
process.off('SIGTERM', onSigint);
process.exitCode = code;
