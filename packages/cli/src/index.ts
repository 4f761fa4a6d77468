// The public surface of @haiku-army/cli: the `army` program, runnable in-process.
export type { CliIo, CliOutput } from './cli-io.js';
export { EXIT } from './constants.js';
export { runCli } from './program.js';
