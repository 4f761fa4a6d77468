import { sandboxFor } from '../internal/codebase-options.js';
import type { Tool } from '../tool.js';
import type { CodebaseToolsOptions } from './codebase-tool-options.js';
import { createGrepTool } from './grep.js';
import { createListFilesTool } from './list-files.js';
import { createReadFileTool } from './read-file.js';

/**
 * The built-in read-only codebase tools, `list_files`, `grep` and
 * `read_file`, sharing one sandbox rooted at `root`.
 *
 * @example
 * const worker = createWorker({ gateway, tools: codebaseTools({ root: '/repo' }) });
 */
export function codebaseTools(options: CodebaseToolsOptions): Tool[] {
  const shared = { ...options, sandbox: sandboxFor(options) };
  return [
    createListFilesTool(shared),
    createGrepTool(shared),
    createReadFileTool(shared),
  ] as Tool[];
}
