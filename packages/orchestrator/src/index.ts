export {
  Army,
  createArmy,
  type MapOptions,
  type ResumeRunOptions,
  type RunOptions,
  type RunPlanOptions,
  resumeRun,
} from './army.js';
export type { ArmyBackend, BackendRun, BackendRunContext } from './army-backend.js';
export type {
  ArmyOptions,
  Artifact,
  ArtifactSource,
  FailurePolicy,
} from './army-options.js';
export { subtaskCustomId } from './batch-custom-id.js';
export { cacheKey } from './cache/cache-key.js';
export {
  CACHE_FORMAT,
  CACHE_FORMAT_VERSION,
  FileResultCache,
  type FileResultCacheOptions,
} from './cache/file-result-cache.js';
export type {
  CachedKind,
  CachedResult,
  PruneOptions,
  ResultCache,
} from './cache/result-cache.js';
export {
  DEFAULT_BATCH_CONCURRENCY,
  DEFAULT_BATCH_WINDOW_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAP_CHUNK_SIZE,
  DEFAULT_MAP_CHUNKS_AHEAD,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_SUBTASKS,
  DEFAULT_PLANNER_MAX_TOKENS,
  DEFAULT_PLANNER_MODEL,
  DEFAULT_RATE_LIMIT_FALLBACK_AFTER_MS,
  DEFAULT_ROUNDS,
  DEFAULT_SYNTHESIZER_MAX_TOKENS,
  DEFAULT_WORKER_MODEL,
  ESCALATABLE_CODES,
  MAX_QUOTED_DATA_CHARS,
  PLANNER_TASK_ID,
  SYNTHESIS_TASK_ID,
} from './constants.js';
export { ORCHESTRATOR_ERROR_CODES, PlanInvalidError, type PlanIssue } from './errors.js';
export type { RunMode } from './internal/batch-settings.js';
export type { MapItems } from './internal/item-source.js';
export { JOURNAL_FILE, JOURNAL_FORMAT, JOURNAL_FORMAT_VERSION } from './journal/journal-format.js';
export { JournalRecorder, type JournalRecorderOptions } from './journal/journal-recorder.js';
export { DEFAULT_JOURNAL_ROOT, defaultCacheDirectory } from './journal/journal-root.js';
export { resultsKeptOnResume, stoppedByRun } from './journal/kept-results.js';
export type { ResumeOptions } from './journal/resume-run.js';
export {
  type JournalReadOptions,
  type KeptOnResume,
  listRuns,
  loadKeptOnResume,
  loadRun,
  loadRunSummary,
  type RunSummary,
} from './journal/run-journal.js';
export {
  jsonSchemaOf,
  MAX_SUBTASK_ID_LENGTH,
  type Plan,
  type PlanInput,
  type PlanSubtask,
  planBriefSchema,
  planSchema,
  planSubtaskSchema,
  type RoundPlan,
  roundPlanSchema,
} from './plan.js';
export { InProcessReadyQueue, type ReadyQueue, type ReadyQueueFactory } from './ready-queue.js';
export type {
  Acceptance,
  Complexity,
  RoutePick,
  Router,
  RouterAttempt,
  RouterContext,
  RouterSubtask,
} from './router-types.js';
export { type ArmyStreamEvent, RunHandle } from './run-handle.js';
export {
  type ArtifactsRecord,
  type BatchCreatingRecord,
  type BatchSubmittedRecord,
  type CallEndRecord,
  type CallStartRecord,
  type ChunkRecord,
  composeRecorders,
  noopRecorder,
  type PlanRecord,
  type ResumeState,
  type RunRecorder,
  type RunStartRecord,
} from './run-recorder.js';
export type {
  AttemptCost,
  AttemptResult,
  CostTree,
  RunCost,
  RunResult,
  RunStatus,
  SubtaskCost,
  SubtaskCounts,
  SubtaskOutcome,
  SubtaskResult,
  SubtaskStatus,
  TimelineEntry,
} from './run-result.js';
export {
  checkSubtasks,
  findCycle,
  type PlanValidation,
  type ValidatePlanOptions,
  validatePlan,
} from './validate-plan.js';
