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
export * from './constants.js';
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
export * from './tools/index.js';
export type { FileArtifact, FileWriter, WriteFilesOptions } from './tools/write-file-options.js';
export { writeFiles } from './tools/write-files.js';
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
