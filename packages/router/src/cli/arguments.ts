import { ArmyError, ERROR_CODES } from '@haiku-army/core';

/** Parsed command-line flags: booleans, and repeatable string options. */
export interface ParsedArguments {
  flags: Set<string>;
  values: Map<string, string[]>;
}

/**
 * Parses `--flag` and `--name value` (or `--name=value`) arguments. A bare
 * `--` (as pnpm forwards it) is skipped.
 */
export function parseArguments(
  argv: readonly string[],
  spec: { flags: readonly string[]; values: readonly string[] },
): ParsedArguments {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === '--') continue;
    const [name, inline] = argument.startsWith('--') ? argument.slice(2).split(/=(.*)/s) : [''];
    if (name && spec.flags.includes(name) && inline === undefined) {
      flags.add(name);
    } else if (name && spec.values.includes(name)) {
      const value = inline ?? argv[++index];
      if (value === undefined || value.length === 0)
        throw new ArmyError(ERROR_CODES.INVALID_OPTIONS, `Expected a value after \`--${name}\`.`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else {
      const known = [...spec.flags, ...spec.values].map((option) => `--${option}`).join(', ');
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `Unknown argument ${JSON.stringify(argument)}; the options are ${known}.`,
      );
    }
  }
  return { flags, values };
}
