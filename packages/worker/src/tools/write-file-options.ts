import type { Tool } from '../tool.js';

/** `writeFiles`: largest file `write_file` writes, bytes of UTF-8. */
export const DEFAULT_WRITE_MAX_FILE_BYTES = 1_048_576;

/** `writeFiles`: most distinct files one writer writes. */
export const DEFAULT_WRITE_MAX_FILES = 1_000;

/** Options for {@link writeFiles}. */
export interface WriteFilesOptions {
  /**
   * The directory files are written under. Created (with its parents) when
   * missing; a path that exists and is not a directory is an error.
   */
  outDir: string;
  /**
   * Replace files that this writer did not write (files that were there
   * before). Files written by another subtask are refused either way.
   * @default false
   */
  overwrite?: boolean;
  /** Largest file `write_file` writes, bytes of UTF-8 content. @default 1048576 */
  maxFileBytes?: number;
  /** Most distinct files the writer writes, every subtask together. @default 1000 */
  maxFiles?: number;
  /** Longest path, in characters, `write_file` accepts. @default 1024 */
  maxPathLength?: number;
}

/** A file written by `write_file`. */
export interface FileArtifact {
  /** The subtask that wrote it (`ToolContext.taskId`). */
  taskId: string;
  /** Its path relative to `outDir`, `/`-separated. */
  path: string;
  /** Its size, bytes (of its last write). */
  bytes: number;
}

/** What {@link writeFiles} returns. */
export interface FileWriter {
  /** The `write_file` tool, for a worker's or pool's `tools`. */
  readonly tools: Tool[];
  /** The output directory's real (symlink-free) absolute path. */
  readonly outDir: string;
  /** Every file written so far, in the order first written. */
  artifacts(): FileArtifact[];
}
