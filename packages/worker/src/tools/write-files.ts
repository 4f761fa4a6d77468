import { mkdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import * as z from 'zod';
import { DEFAULT_MAX_PATH_LENGTH } from '../constants.js';
import { positiveInteger } from '../internal/codebase-options.js';
import {
  createFile,
  normalizeWritePath,
  replaceFile,
  writeFailure,
  writePathKey,
} from '../internal/write-path.js';
import { defineTool, type Tool, type ToolContext, ToolError } from '../tool.js';
import {
  DEFAULT_WRITE_MAX_FILE_BYTES,
  DEFAULT_WRITE_MAX_FILES,
  type FileArtifact,
  type FileWriter,
  type WriteFilesOptions,
} from './write-file-options.js';

/** Creates `outDir` when missing and returns its real path; refuses a non-directory. */
function prepareOutDir(outDir: string): string {
  const shown = JSON.stringify(outDir);
  let stats: ReturnType<typeof statSync> | undefined;
  try {
    stats = statSync(outDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotUse(shown, error);
  }
  if (stats && !stats.isDirectory())
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`outDir\` to be a directory, but ${shown} is a file. Pass a directory path (it is created when missing), or move the file away.`,
    );
  try {
    if (!stats) mkdirSync(outDir, { recursive: true });
    return realpathSync(outDir);
  } catch (error) {
    throw cannotUse(shown, error);
  }
}

function cannotUse(shown: string, error: unknown): ArmyError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ArmyError(
    ERROR_CODES.INVALID_OPTIONS,
    `Expected \`outDir\` to be a directory that can be created or written, but ${shown} cannot be used (${code ?? (error as Error).message}). ` +
      'Pass a writable directory path; a parent of it may be a file.',
    { cause: error },
  );
}

/**
 * A `write_file` tool for workers that produce files (tests, docs), writing
 * only under `outDir`, and the list of what was written.
 *
 * The same path rules as the read tools, stricter: a path is relative to
 * `outDir`, without `..`, NUL bytes or `.git`; parent directories are
 * created one at a time and no symbolic link is followed (inside or out).
 * A file the writer did not write itself is never replaced unless
 * `overwrite: true`; a path another subtask already wrote is refused,
 * naming that subtask (the same subtask may rewrite its own file), and so
 * is a path differing from it only in letter case or Unicode normalisation,
 * on every platform (see {@link writePathKey}). Content
 * is capped at `maxFileBytes`, and the writer at `maxFiles` distinct files.
 *
 * @example
 * const writer = writeFiles({ outDir: 'generated-tests' });
 * const pool = new WorkerPool({ gateway, tools: [...codebaseTools({ root: '.' }), ...writer.tools] });
 * await pool.submitAll(tasks);
 * console.log(writer.artifacts()); // [{ taskId, path, bytes }, ...]
 */
export function writeFiles(options: WriteFilesOptions): FileWriter {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an object { outDir }', options);
  const { outDir } = options;
  if (typeof outDir !== 'string' || outDir.trim() === '')
    throw invalidOption('outDir', 'a directory path', outDir);
  if (outDir.includes('\0'))
    throw invalidOption('outDir', 'a path without NUL bytes', 'a path with \\0');
  const overwrite = options.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw invalidOption('overwrite', 'a boolean', overwrite);
  const maxFileBytes = positiveInteger(
    'maxFileBytes',
    options.maxFileBytes,
    DEFAULT_WRITE_MAX_FILE_BYTES,
  );
  const maxFiles = positiveInteger('maxFiles', options.maxFiles, DEFAULT_WRITE_MAX_FILES);
  const maxPathLength = positiveInteger(
    'maxPathLength',
    options.maxPathLength,
    DEFAULT_MAX_PATH_LENGTH,
  );
  const root = prepareOutDir(path.resolve(outDir));

  /** Files written, by {@link writePathKey} of their path, in the order first written. */
  const written = new Map<string, FileArtifact>();
  /** The last write of each path key still in flight: writes of one path run one after another. */
  const queues = new Map<string, Promise<unknown>>();
  let newInFlight = 0;

  async function write(relative: string, content: string, context: ToolContext): Promise<string> {
    const bytes = Buffer.byteLength(content, 'utf8');
    const shown = JSON.stringify(relative);
    const previous = written.get(writePathKey(relative));
    if (previous && previous.taskId !== context.taskId)
      throw new ToolError(
        previous.path === relative
          ? `${shown} was already written by subtask ${JSON.stringify(previous.taskId)}; each file belongs to one subtask. Choose another path.`
          : `${shown} differs only in letter case or Unicode form from ${JSON.stringify(previous.path)}, already written by subtask ${JSON.stringify(previous.taskId)}; on many file systems they are one file, and each file belongs to one subtask. Choose another path.`,
      );
    if (previous && previous.path !== relative)
      throw new ToolError(
        `${shown} differs only in letter case or Unicode form from ${JSON.stringify(previous.path)}, which you wrote; on many file systems they are one file. Rewrite it as ${JSON.stringify(previous.path)}, or choose another path.`,
      );
    if (!previous && written.size + newInFlight >= maxFiles)
      throw new ToolError(
        `The output limit of ${maxFiles} file(s) is reached; ${shown} was not written. Put more into the files already written.`,
      );
    // Only a file this writer made may be replaced, unless overwrite is on.
    const exclusive = !previous && !overwrite;
    if (!previous) newInFlight += 1;
    try {
      // A replacement is atomic (temporary file + rename): a failed rewrite
      // leaves the old file and its recorded size as they were.
      if (exclusive) await createFile(root, relative, content);
      else await replaceFile(root, relative, content);
      context.dependencies?.wrote({ outDir: root, path: relative, content });
      if (previous) previous.bytes = bytes;
      else written.set(writePathKey(relative), { taskId: context.taskId, path: relative, bytes });
      return previous ? `Rewrote ${shown} (${bytes} bytes).` : `Wrote ${shown} (${bytes} bytes).`;
    } catch (error) {
      throw writeFailure(error, relative);
    } finally {
      if (!previous) newInFlight -= 1;
    }
  }

  const writeFile = defineTool({
    name: 'write_file',
    recordsDependencies: true,
    description:
      'Write a UTF-8 text file under the output directory (the only place this tool writes). ' +
      '`path` is relative to the output directory, e.g. "tests/math.test.ts"; parent directories are created. ' +
      `Refuses existing files it did not write, files another subtask wrote, and content over ${maxFileBytes} bytes; ` +
      'writing a path again replaces your own earlier version.',
    input: z.object({
      path: z.string().describe('File path relative to the output directory, e.g. "docs/api.md".'),
      content: z.string().describe('The whole content of the file.'),
    }),
    run(input, context) {
      const relative = normalizeWritePath(input.path, maxPathLength);
      const bytes = Buffer.byteLength(input.content, 'utf8');
      if (bytes > maxFileBytes)
        throw new ToolError(
          `Content for ${JSON.stringify(relative)} is ${bytes} bytes; write_file writes files up to ${maxFileBytes} bytes. Split it into several files.`,
        );
      // Case and Unicode variants of a path share one queue (see writePathKey).
      const key = writePathKey(relative);
      const before = queues.get(key) ?? Promise.resolve();
      const result = before.then(() => write(relative, input.content, context));
      const settled = result.catch(() => undefined);
      queues.set(key, settled);
      void settled.then(() => {
        if (queues.get(key) === settled) queues.delete(key);
      });
      return result;
    },
  });

  return {
    tools: [writeFile] as Tool[],
    outDir: root,
    artifacts: () => [...written.values()].map((artifact) => ({ ...artifact })),
  };
}
