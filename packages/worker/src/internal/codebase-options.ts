import { invalidOption } from '@haiku-army/core';
import { Sandbox } from '../sandbox.js';
import type { CodebaseToolsOptions } from '../tools/codebase-tool-options.js';

/** Builds the sandbox a codebase tool uses (shared when given). */
export function sandboxFor(options: CodebaseToolsOptions): Sandbox {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an object { root }', options);
  return (
    options.sandbox ??
    new Sandbox({
      root: options.root,
      ...(options.maxPathLength !== undefined ? { maxPathLength: options.maxPathLength } : {}),
    })
  );
}

/** Validates an optional integer option >= 1, filling its default. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) throw invalidOption(name, 'an integer >= 1', chosen);
  return chosen;
}
