import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../sandbox.js';
import { ToolError } from '../tool.js';

/** A Windows drive-letter path, `C:/` (backslashes already turned into `/`). */
const WINDOWS_DRIVE = /^[a-zA-Z]:/;

/**
 * Checks a path given to `write_file` without touching the disk and returns
 * it clean (relative, `/`-separated, no `.` or empty segments). Refused with
 * a {@link ToolError} that says why: not a string, NUL bytes, too long,
 * empty, absolute, any `..`, a trailing `/`, or a `.git` segment.
 */
export function normalizeWritePath(input: unknown, maxPathLength: number): string {
  if (typeof input !== 'string')
    throw new ToolError(`Expected a path string, got ${typeof input}.`);
  if (input.includes('\0'))
    throw new ToolError(
      'Path contains a NUL byte (\\0), which no file name can hold; pass a plain path such as "tests/math.test.ts".',
    );
  if (input.length > maxPathLength)
    throw new ToolError(`Path is ${input.length} characters long; the limit is ${maxPathLength}.`);
  const shown = JSON.stringify(input);
  // As in the read sandbox, a backslash is read as a separator.
  const given = input.replaceAll('\\', '/');
  if (given.trim() === '')
    throw new ToolError(
      'Path is empty; pass a file path relative to the output directory, e.g. "tests/math.test.ts".',
    );
  if (given.startsWith('/') || WINDOWS_DRIVE.test(given))
    throw new ToolError(
      `Absolute path ${shown} is refused: write_file takes a path relative to the output directory, e.g. "tests/math.test.ts".`,
    );
  const segments = given.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..'))
    throw new ToolError(
      `Path ${shown} contains "..": write_file takes a plain path below the output directory, without "..".`,
    );
  if (segments.length === 0 || given.endsWith('/'))
    throw new ToolError(
      `Path ${shown} names a directory; pass a file path such as "tests/math.test.ts" (parent directories are created).`,
    );
  if (segments.some((segment) => segment.toLowerCase() === '.git'))
    throw new ToolError(
      `Path ${shown} is inside .git (repository internals); write_file does not write there.`,
    );
  return segments.join('/');
}

/**
 * The key `write_file` tracks a path by (its owner, its write queue): the
 * path NFC-normalised and case-folded. On a case-insensitive or
 * normalisation-insensitive file system (macOS, Windows) `Foo.ts`, `foo.ts`
 * and a decomposed `é` name one file, so two subtasks must not both own
 * it; the same rule holds on every platform, so a run behaves the same
 * wherever it runs. Folding errs wide (`ß` meets `ss`): a refused path only
 * costs the model another name.
 */
export function writePathKey(relative: string): string {
  return relative.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Makes sure every parent directory of `relative` exists below `root` (a
 * real path) as a real directory, creating missing ones one at a time.
 * A symbolic link or a file on the way is refused: writes follow no link.
 */
async function prepareParents(root: string, relative: string): Promise<string> {
  const segments = relative.split('/');
  let current = root;
  for (let index = 0; index < segments.length - 1; index++) {
    const next = path.join(current, segments[index]!);
    const shown = JSON.stringify(segments.slice(0, index + 1).join('/'));
    let stats = await lstat(next).catch((error) => {
      if (errorCode(error) !== 'ENOENT') throw error;
      return undefined;
    });
    if (!stats) {
      await mkdir(next).catch((error) => {
        if (errorCode(error) !== 'EEXIST') throw error;
      });
      stats = await lstat(next);
    }
    if (stats.isSymbolicLink())
      throw new ToolError(
        `${shown} is a symbolic link; write_file does not write through links. Choose a path whose directories are real.`,
      );
    if (!stats.isDirectory())
      throw new ToolError(
        `${shown} is a file, so ${JSON.stringify(relative)} cannot be created below it. Choose another path.`,
      );
    current = next;
  }
  // Nothing but real directories was walked; check the result anyway.
  const real = await realpath(current);
  if (!isInside(root, real))
    throw new ToolError(`Path ${JSON.stringify(relative)} resolves outside the output directory.`);
  return real;
}

function openFailure(error: unknown, shown: string): unknown {
  switch (errorCode(error)) {
    case 'EEXIST':
      return new ToolError(
        `${shown} already exists and was not written in this run; write_file does not overwrite files it did not write. Choose another path.`,
      );
    case 'ELOOP':
      return new ToolError(`${shown} is a symbolic link; write_file does not write through links.`);
    case 'EISDIR':
      return new ToolError(`${shown} is a directory; pass a file path.`);
    default:
      return error;
  }
}

/**
 * Creates `relative` below `root` and writes `content` to it, refusing a
 * file that exists (whatever it is, links included). A file this call
 * created but could not fill is removed again.
 */
export async function createFile(root: string, relative: string, content: string): Promise<void> {
  const parent = await prepareParents(root, relative);
  const absolute = path.join(parent, path.basename(relative));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  let handle: FileHandle;
  try {
    handle = await open(absolute, flags, 0o666);
  } catch (error) {
    throw openFailure(error, JSON.stringify(relative));
  }
  try {
    await handle.writeFile(content, 'utf8');
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(absolute).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/**
 * Writes `content` to `relative` below `root`, replacing the file there if
 * any, atomically: the content goes to a temporary file in the same
 * directory, which is then renamed over the old one, so a write that fails
 * leaves the old file whole. An existing file is checked first through a
 * handle opened without following links: a symbolic link, a non-regular
 * file or a file with other hard links is refused (see
 * {@link checkReplaceable}). The old file's permission bits are kept.
 */
export async function replaceFile(root: string, relative: string, content: string): Promise<void> {
  const parent = await prepareParents(root, relative);
  const name = path.basename(relative);
  const absolute = path.join(parent, name);
  const shown = JSON.stringify(relative);
  const noFollow = constants.O_NOFOLLOW ?? 0;
  if (noFollow === 0) {
    // No O_NOFOLLOW (Windows): look before opening.
    const stats = await lstat(absolute).catch(() => undefined);
    if (stats?.isSymbolicLink())
      throw new ToolError(`${shown} is a symbolic link; write_file does not write through links.`);
  }
  let mode = 0o666;
  let existing: FileHandle | undefined;
  try {
    // O_NONBLOCK: opening a FIFO to look at it must not wait for a writer.
    existing = await open(absolute, constants.O_RDONLY | noFollow | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw openFailure(error, shown);
  }
  if (existing) {
    try {
      mode = (await checkReplaceable(existing, shown)) & 0o7777;
    } finally {
      await existing.close().catch(() => undefined);
    }
  }
  const temporary = path.join(parent, `.${name}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    const handle = await open(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | noFollow,
      mode,
    );
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    await rename(temporary, absolute);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw openFailure(error, shown);
  }
}

/**
 * Refuses to replace what is not a plain file of its own: a directory,
 * device, FIFO or socket, or a file with other hard links (they may be
 * outside `outDir`, and writing would change them too). Returns its mode.
 */
export async function checkReplaceable(handle: FileHandle, shown: string): Promise<number> {
  const stats = await handle.stat();
  if (stats.isDirectory()) throw new ToolError(`${shown} is a directory; pass a file path.`);
  if (!stats.isFile())
    throw new ToolError(
      `${shown} is not a regular file (a device, FIFO or socket); write_file only writes regular files. Choose another path.`,
    );
  if (stats.nlink > 1)
    throw new ToolError(
      `${shown} has ${stats.nlink} hard links, so writing it would also change a file elsewhere (maybe outside the output directory); write_file refuses it. Choose another path.`,
    );
  return stats.mode;
}

/** A file-system error while writing, in words the model can act on. */
export function writeFailure(error: unknown, relative: string): ToolError {
  if (error instanceof ToolError) return error;
  const shown = JSON.stringify(relative);
  const code = errorCode(error);
  switch (code) {
    case 'ENAMETOOLONG':
      return new ToolError(`Path ${shown} is too long for the file system; use shorter names.`);
    case 'EACCES':
    case 'EPERM':
      return new ToolError(`Permission denied writing ${shown}.`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new ToolError(`No space left to write ${shown}.`);
    case 'ENOTDIR':
      return new ToolError(`A parent of ${shown} is a file, not a directory. Choose another path.`);
    default:
      return new ToolError(
        `Could not write ${shown} (${code ?? (error instanceof Error ? error.message : String(error))}).`,
      );
  }
}
