import { statSync } from 'node:fs';
import path from 'node:path';
import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import { Sandbox } from '../sandbox.js';
import type { CodebaseToolsOptions } from '../tools/codebase-tool-options.js';

/**
 * Checks, when the tools are created, that `root` is an existing directory,
 * so a typo fails at once rather than on the model's first tool call.
 */
export function assertDirectoryRoot(option: string, root: string): void {
  const absolute = path.resolve(root);
  const shown = JSON.stringify(root);
  const resolved = absolute === root ? '' : ` (resolved to ${JSON.stringify(absolute)})`;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'does not exist'
        : `cannot be read (${code ?? (error as Error).message})`;
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`${option}\` to be an existing directory, but ${shown}${resolved} ${what}. ` +
        `Pass the directory the tools should work in, e.g. the repository checkout; relative paths resolve against the current working directory (${process.cwd()}).`,
      { cause: error },
    );
  }
  if (!isDirectory)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`${option}\` to be a directory, but ${shown}${resolved} is a file. ` +
        `Pass the directory that contains it, e.g. ${JSON.stringify(path.dirname(absolute))}.`,
    );
}

/**
 * Builds the sandbox a codebase tool uses (shared when given). A root that
 * is missing or not a directory is an `INVALID_OPTIONS` error here.
 */
export function sandboxFor(options: CodebaseToolsOptions): Sandbox {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an object { root }', options);
  if (options.sandbox) return options.sandbox;
  const sandbox = new Sandbox({
    root: options.root,
    ...(options.maxPathLength !== undefined ? { maxPathLength: options.maxPathLength } : {}),
  });
  assertDirectoryRoot('root', options.root);
  return sandbox;
}

/** Validates an optional integer option >= 1, filling its default. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) throw invalidOption(name, 'an integer >= 1', chosen);
  return chosen;
}
