import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { invalidOption } from '@haiku-army/core';
import { DEFAULT_MAX_PATH_LENGTH } from './constants.js';
import { ToolError } from './tool.js';

/** Options for {@link Sandbox}. */
export interface SandboxOptions {
  /** The directory every path must stay under. Must exist. */
  root: string;
  /** Longest path, in characters, that is looked at. @default 1024 */
  maxPathLength?: number;
}

/** A path that passed the sandbox. */
export interface SandboxPath {
  /** The real (symlink-free) absolute path, inside the root. */
  absolute: string;
  /** The path relative to the root's real path, `/`-separated; `.` for the root. */
  relative: string;
}

/** True when `child` is `parent` or lies below it (both absolute and normalized). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  if (relative === '') return true;
  if (path.isAbsolute(relative)) return false;
  return relative !== '..' && !relative.startsWith(`..${path.sep}`);
}

/** A Windows drive-letter path, `C:/` (backslashes already turned into `/`). */
const WINDOWS_DRIVE = /^[a-zA-Z]:\//;

function toPosix(relative: string): string {
  return relative === '' ? '.' : relative.split(path.sep).join('/');
}

function filesystemReason(code: string | undefined, shown: string): string {
  switch (code) {
    case 'ENOENT':
      return `No such file or directory: ${shown}. Use list_files to see what exists.`;
    case 'ENOTDIR':
      return `No such file or directory: ${shown} (a parent of it is a file, not a directory).`;
    case 'ELOOP':
      return `Path ${shown} has a symbolic link loop; it cannot be resolved.`;
    case 'ENAMETOOLONG':
      return `Path ${shown} is too long for the file system.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied: ${shown}.`;
    default:
      return `Path ${shown} cannot be resolved (${code ?? 'unknown error'}).`;
  }
}

/**
 * Keeps file access under one root directory. Every path is resolved against
 * the root, then with `realpath`, and must stay inside the root's real path:
 * `..` that climbs out, absolute paths elsewhere, symbolic links pointing
 * outside, NUL bytes and over-long paths are refused with a {@link ToolError}
 * that says why (so a model reading it can correct itself).
 *
 * @example
 * const sandbox = new Sandbox({ root: '/repo' });
 * const { absolute } = await sandbox.resolve('src/index.ts');
 */
export class Sandbox {
  /** The root as given, made absolute. */
  readonly root: string;
  readonly maxPathLength: number;
  #realRoot: Promise<string> | undefined;

  constructor(options: SandboxOptions) {
    if (!options || typeof options.root !== 'string' || options.root.length === 0)
      throw invalidOption('root', 'a directory path', options?.root);
    if (options.root.includes('\0'))
      throw invalidOption('root', 'a path without NUL bytes', 'a path with \\0');
    const maxPathLength = options.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;
    if (!Number.isInteger(maxPathLength) || maxPathLength < 1)
      throw invalidOption('maxPathLength', 'an integer >= 1', maxPathLength);
    this.root = path.resolve(options.root);
    this.maxPathLength = maxPathLength;
  }

  /** The root's real path (resolved once). */
  realRoot(): Promise<string> {
    this.#realRoot ??= realpath(this.root).catch((error: NodeJS.ErrnoException) => {
      this.#realRoot = undefined;
      throw new ToolError(
        `The sandbox root ${JSON.stringify(this.root)} cannot be used: ${error.code ?? error.message}.`,
        { cause: error },
      );
    });
    return this.#realRoot;
  }

  /**
   * Resolves a path given by a model to a real path inside the root, or
   * throws a {@link ToolError} saying why it is refused. The path must exist.
   */
  async resolve(input: unknown): Promise<SandboxPath> {
    if (typeof input !== 'string')
      throw new ToolError(`Expected a path string, got ${typeof input}.`);
    if (input.includes('\0'))
      throw new ToolError(
        'Path contains a NUL byte (\\0), which no file name can hold; pass a plain path such as "src/index.ts".',
      );
    if (input.length > this.maxPathLength)
      throw new ToolError(
        `Path is ${input.length} characters long; the limit is ${this.maxPathLength}.`,
      );
    const shown = JSON.stringify(input);
    const realRoot = await this.realRoot();
    // A model may write Windows paths. A backslash is a legal file-name
    // character on POSIX but in a source tree it almost always means a
    // separator; reading it as one also gives `..\` and `C:\` their true reason.
    const given = input.trim() === '' ? '.' : input.replaceAll('\\', '/');
    const outside = () =>
      new ToolError(
        `Absolute path ${shown} is outside the sandbox root; use a path relative to the root, e.g. "src/index.ts".`,
      );
    // `C:/...` is relative on POSIX, yet never meant as a path under the root.
    if (path.sep === '/' && WINDOWS_DRIVE.test(given)) throw outside();
    const lexical = path.resolve(this.root, given);
    // Accept a path written against the root as given or against its real path.
    if (!isInside(this.root, lexical) && !isInside(realRoot, lexical)) {
      if (path.isAbsolute(given)) throw outside();
      throw new ToolError(
        `Path ${shown} climbs out of the sandbox root with ".."; paths must stay inside the root.`,
      );
    }
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (error) {
      throw new ToolError(filesystemReason((error as NodeJS.ErrnoException).code, shown), {
        cause: error,
      });
    }
    if (!isInside(realRoot, real))
      throw new ToolError(
        `Path ${shown} resolves through a symbolic link to a location outside the sandbox root; it cannot be used.`,
      );
    const relative = toPosix(path.relative(realRoot, real));
    // Repository internals are never source, and `.git/config` can hold
    // credentials in remote URLs: refuse them even when named explicitly.
    if (relative.split('/').includes('.git'))
      throw new ToolError(
        `Path ${shown} is inside .git (repository internals, which can hold credentials); the codebase tools do not read it.`,
      );
    return { absolute: real, relative };
  }

  /**
   * The real path of a file found while walking the tree, or `undefined`
   * when it resolves outside the root (a symbolic link pointing out) or
   * cannot be resolved.
   */
  async check(absolute: string): Promise<string | undefined> {
    const realRoot = await this.realRoot();
    try {
      const real = await realpath(absolute);
      return isInside(realRoot, real) ? real : undefined;
    } catch {
      return undefined;
    }
  }
}
