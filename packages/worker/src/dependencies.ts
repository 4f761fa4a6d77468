import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Tool } from './tool.js';

/** One file a tool read: its absolute path, content hash and what `stat` said when it was read. */
export interface FileRead {
  /** Absolute path. */
  path: string;
  /** sha256 (hex) of the content, or null when the file did not exist. */
  hash: string | null;
  /** Size in bytes when it was read. */
  size?: number;
  /** Modification time when it was read, ms. */
  mtimeMs?: number;
}

/** A query a tool answered (`list_files`, `grep`): its parsed input and a hash of what it returned. */
export interface ToolQuery {
  tool: string;
  /** The input as the tool's `run` received it (parsed, defaults filled). */
  input: unknown;
  /** sha256 (hex) of the rendered result. */
  resultHash: string;
}

/** One file a tool wrote, with its whole content (so a reused result can restore it). */
export interface FileWrite {
  /** The output directory (absolute). */
  outDir: string;
  /** Path relative to `outDir`. */
  path: string;
  content: string;
}

/**
 * What one worker run depended on, as its tools recorded it: what makes its
 * result reusable, and what must still hold for a reuse to be valid.
 */
export interface SubtaskDependencies {
  reads: FileRead[];
  queries: ToolQuery[];
  writes: FileWrite[];
  /**
   * Tools called that could not say what they read (no dependency hook and
   * not `pure`), or a tracked tool call that ended before recording: a
   * result with any is never reused.
   */
  untracked: string[];
}

/**
 * The hook a tool reports its reads and writes to (`context.dependencies`).
 * A tool that calls it declares `recordsDependencies: true` in `defineTool`.
 */
export interface DependencyRecorder {
  /** A file read (content hash, `stat` size and mtime). */
  read(file: FileRead): void;
  /** A query answered: the tool re-runs it on reuse and compares the result's hash. */
  query(query: { tool: string; input: unknown; result: unknown }): void;
  /** A file written, with its content. */
  wrote(file: FileWrite): void;
}

/** An empty dependency record. */
export function emptyDependencies(): SubtaskDependencies {
  return { reads: [], queries: [], writes: [], untracked: [] };
}

/** sha256 (hex) of a string or bytes. */
export function hashContent(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A tool result as the model sees it (strings as they are, values as JSON), for hashing. */
export function renderToolValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(no output)';
  return JSON.stringify(value) ?? String(value);
}

/** The file's read record now: hash, size and mtime; `hash: null` when it does not exist. */
export async function readRecord(path: string): Promise<FileRead> {
  try {
    const [info, content] = await Promise.all([stat(path), readFile(path)]);
    return { path, hash: hashContent(content), size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, hash: null };
    throw error;
  }
}

/** Whether every recorded dependency still holds, or why not. */
export type DependencyCheck = { valid: true } | { valid: false; reason: string };

/** What {@link checkDependencies} needs to re-run queries. */
export interface CheckDependenciesOptions {
  /** The tools the queries are re-run with (by name). */
  tools: readonly Tool[];
  signal?: AbortSignal;
  runId?: string;
  taskId?: string;
}

async function fileHolds(read: FileRead): Promise<boolean> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(read.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return read.hash === null;
    return false;
  }
  if (read.hash === null) return false;
  // Cheap first: an unchanged size and mtime mean unchanged content; hash only when they moved.
  if (info.size === read.size && info.mtimeMs === read.mtimeMs) return true;
  if (info.size !== read.size) return false;
  return hashContent(await readFile(read.path)) === read.hash;
}

const noRecorder: DependencyRecorder = { read() {}, query() {}, wrote() {} };

/**
 * Re-checks a result's recorded dependencies against the workspace: every
 * file read must hash the same (`stat` first, hashing only when the size or
 * mtime moved), every query must return a result with the same hash.
 * Writes are not checked here (see the orchestrator's restore).
 */
export async function checkDependencies(
  dependencies: SubtaskDependencies,
  options: CheckDependenciesOptions,
): Promise<DependencyCheck> {
  if (dependencies.untracked.length > 0)
    return {
      valid: false,
      reason: `tools without dependency tracking were called: ${dependencies.untracked.join(', ')}`,
    };
  for (const read of dependencies.reads)
    if (!(await fileHolds(read))) return { valid: false, reason: `${read.path} changed` };
  const tools = new Map(options.tools.map((tool) => [tool.name, tool]));
  const signal = options.signal ?? new AbortController().signal;
  for (const query of dependencies.queries) {
    const tool = tools.get(query.tool);
    if (!tool) return { valid: false, reason: `tool ${query.tool} is no longer offered` };
    const parsed = await tool.input.safeParseAsync(query.input);
    if (!parsed.success) return { valid: false, reason: `${query.tool}'s input no longer parses` };
    let value: unknown;
    try {
      value = await tool.run(parsed.data, {
        signal,
        runId: options.runId ?? 'cache-check',
        taskId: options.taskId ?? 'cache-check',
        toolUseId: 'cache-check',
        dependencies: noRecorder,
      });
    } catch {
      return { valid: false, reason: `${query.tool} now fails` };
    }
    if (hashContent(renderToolValue(value)) !== query.resultHash)
      return {
        valid: false,
        reason: `${query.tool} ${JSON.stringify(query.input)} returns a different result`,
      };
  }
  return { valid: true };
}
