import type { Sandbox } from '../sandbox.js';

/** Options shared by the built-in codebase tools. */
export interface CodebaseToolsOptions {
  /**
   * The directory the tools may read. Every path must stay under it. It must
   * exist and be a directory: checked when the tools are created
   * (`INVALID_OPTIONS` otherwise).
   */
  root: string;
  /** A sandbox to share (built from `root` when omitted). */
  sandbox?: Sandbox;
  /**
   * Skip ignored files: `.gitignore` files in and below the root, those
   * above it up to the repository's top (the nearest ancestor with a
   * `.git`), and the repository's `.git/info/exclude`, each relative to its
   * own directory as in git. A root or `path` that is itself ignored is
   * still searched.
   * @default true
   */
  gitignore?: boolean;
  /** Longest path, in characters, the tools accept. @default 1024 */
  maxPathLength?: number;
  /** `list_files`: entries per page when the model does not say. @default 200 */
  listLimit?: number;
  /** `grep`: matches returned when the model does not say. @default 100 */
  grepMaxMatches?: number;
  /** `grep`: files larger than this are skipped, bytes. @default 1048576 */
  grepMaxFileBytes?: number;
  /**
   * `read_file`: files larger than this are refused, bytes. Reading counts a
   * file's lines to the end, so this bounds the work (and the longest line
   * held in memory) of one call.
   * @default 16777216
   */
  readMaxFileBytes?: number;
  /**
   * `grep`: longest time the regular expression may run over one file, ms.
   * A pattern that takes longer (catastrophic backtracking) is stopped and
   * reported as a tool error, so it cannot block the event loop.
   * @default 250
   */
  grepTimeoutMs?: number;
  /** `read_file`: most bytes returned per call. @default 65536 */
  readMaxBytes?: number;
}
