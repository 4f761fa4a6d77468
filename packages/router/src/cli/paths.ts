import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';

function packageDir(): string {
  // The nearest folder with a package.json: this file runs from src/cli,
  // and bundled into a chunk of dist/.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
  }
  return dir;
}

/** The package's own directory. */
export const PACKAGE_DIR = packageDir();

/**
 * The development data: `../shared/data/routellm` beside the repository
 * root (the folder holding pnpm-workspace.yaml).
 */
export function defaultDataDir(): string {
  let dir = PACKAGE_DIR;
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.resolve(dir, '..', 'shared', 'data', 'routellm');
}

/** The `.jsonl` files of a data folder, sorted by name. */
export function dataFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Cannot read the development data folder ${dir}: ${(error as Error).message}. Pass \`--data-dir\`.`,
      { cause: error },
    );
  }
  const files = names.filter((name) => name.endsWith('.jsonl')).sort();
  if (files.length === 0) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `No .jsonl files in ${dir}; pass \`--data-dir\` with the RouteLLM development files.`,
    );
  }
  return files.map((name) => path.join(dir, name));
}
