export type { CodebaseToolsOptions } from './codebase-tool-options.js';
export { codebaseTools } from './codebase-tools.js';
export { createGrepTool } from './grep.js';
export { createListFilesTool } from './list-files.js';
export { createReadFileTool } from './read-file.js';
export type { FileArtifact, FileWriter, WriteFilesOptions } from './write-file-options.js';
export { writeFiles } from './write-files.js';
