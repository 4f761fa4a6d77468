export { type Brief, normalizeBrief, type RenderBriefOptions, renderBrief } from './brief.js';
export { buildWorkerRequest, type WorkerRequestState } from './build-worker-request.js';
export {
  type CachePrefix,
  CacheWarmer,
  type CacheWarmerOptions,
  type CacheWarmerRelease,
  cacheWarmerKey,
  DEFAULT_CACHE_WARMER_TTL_MS,
  ONE_HOUR_CACHE_TTL_MS,
} from './cache-warmer.js';
export {
  ALWAYS_SKIPPED_DIRECTORIES,
  BINARY_SNIFF_BYTES,
  DEFAULT_GREP_MAX_FILE_BYTES,
  DEFAULT_GREP_MAX_MATCHES,
  DEFAULT_GREP_TIMEOUT_MS,
  DEFAULT_LIST_LIMIT,
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_MAX_PATH_LENGTH,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MAX_TOOL_RESULT_CHARS,
  DEFAULT_MAX_TURNS,
  DEFAULT_POOL_CONCURRENCY,
  DEFAULT_READ_MAX_BYTES,
  DEFAULT_READ_MAX_FILE_BYTES,
  DEFAULT_SUMMARY_TOKEN_CAP,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WORKER_MODEL,
  MAX_CACHE_BREAKPOINTS,
  MAX_GREP_CONTEXT_LINES,
  MAX_OUTPUT_TOKENS_LABEL,
  SUBMIT_RESULT_TOOL,
  TOOL_ERROR_MESSAGE_CHARS,
  TOOL_ERROR_MESSAGES_KEPT,
} from './constants.js';
export {
  type CheckDependenciesOptions,
  checkDependencies,
  type DependencyCheck,
  type DependencyRecorder,
  emptyDependencies,
  type FileRead,
  type FileWrite,
  hashContent,
  readRecord,
  renderToolValue,
  type SubtaskDependencies,
  type ToolQuery,
} from './dependencies.js';
export { DEFAULT_WORKER_PREAMBLE } from './preamble.js';
export { isInside, Sandbox, type SandboxOptions, type SandboxPath } from './sandbox.js';
export {
  type ApiTool,
  defineTool,
  type Tool,
  type ToolContext,
  type ToolDefinition,
  ToolError,
} from './tool.js';
export {
  type CodebaseToolsOptions,
  codebaseTools,
  createGrepTool,
  createListFilesTool,
  createReadFileTool,
  type FileArtifact,
  type FileWriter,
  type WriteFilesOptions,
  writeFiles,
} from './tools/index.js';
export {
  MemoryTranscriptStore,
  type MemoryTranscriptStoreOptions,
  type TranscriptStore,
  type WorkerTranscript,
} from './transcript-store.js';
export { createWorker, Worker, type WorkerOptions, type WorkerRunOptions } from './worker.js';
export { WorkerPool } from './worker-pool.js';
export type {
  PoolCancelOptions,
  PoolQueueClass,
  PoolSubmitOptions,
  WorkerPoolOptions,
  WorkerPoolStats,
} from './worker-pool-options.js';
export {
  WORKER_STOP_CODES,
  type WorkerResult,
  type WorkerStatus,
  type WorkerStopCode,
  type WorkerUsage,
} from './worker-result.js';
export type { WorkerLimits, WorkerTask } from './worker-task.js';
