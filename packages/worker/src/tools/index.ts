export type { CodebaseToolsOptions } from './codebase-tool-options.js';
export { codebaseTools } from './codebase-tools.js';
export { createGrepTool } from './grep.js';
export { createListFilesTool } from './list-files.js';
export { createReadFileTool } from './read-file.js';
