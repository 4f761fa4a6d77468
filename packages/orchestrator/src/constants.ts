/** Behaviour-changing defaults of the orchestrator, in one place. */

/** The planner's model (and the synthesizer's, unless set). */
export const DEFAULT_PLANNER_MODEL = 'claude-opus-5-5';

/** The workers' model when `workers` is not given. */
export const DEFAULT_WORKER_MODEL = 'claude-haiku-5-5';

/** Workers running at once. */
export const DEFAULT_CONCURRENCY = 16;

/** Workers running at once in batch mode: every ready subtask joins the wave (the API's limit per batch). */
export const DEFAULT_BATCH_CONCURRENCY = 100_000;

/** How long the batch collector gathers worker calls into one batch, ms. */
export const DEFAULT_BATCH_WINDOW_MS = 250;

/** Most subtasks in one run (every round counted). */
export const DEFAULT_MAX_SUBTASKS = 50;

/** Planning rounds (1 = plan once). */
export const DEFAULT_ROUNDS = 1;

/** Attempts per subtask, escalations included. */
export const DEFAULT_MAX_ATTEMPTS = 4;

/** `max_tokens` of a planner call. */
export const DEFAULT_PLANNER_MAX_TOKENS = 8_192;

/** `max_tokens` of the synthesizer call. */
export const DEFAULT_SYNTHESIZER_MAX_TOKENS = 4_096;

/** How long a model must stay rate-limited before its queued subtasks go to its `rateLimitFallback` sibling, ms. */
export const DEFAULT_RATE_LIMIT_FALLBACK_AFTER_MS = 10_000;

/** Longest JSON of one subtask's `data` quoted to a dependent, the planner or the synthesizer, characters. */
export const MAX_QUOTED_DATA_CHARS = 4_000;

/** The ledger task ids of the run-level calls. */
export const PLANNER_TASK_ID = 'planner';
export const SYNTHESIS_TASK_ID = 'synthesis';

/**
 * Worker stop codes after which another attempt (the router's next pick)
 * may succeed. Budget refusals, cancellation and caller/system faults are
 * not retried.
 */
export const ESCALATABLE_CODES: ReadonlySet<string> = new Set([
  'INVALID_RESULT',
  'NO_RESULT',
  'MAX_TURNS',
  'MAX_TOKENS',
  'REFUSED',
  'TIMEOUT',
  'API_UNAVAILABLE',
  'RATE_LIMIT_UNSATISFIABLE',
]);

/** Items a streamed `map` reads, journals and runs at a time (`chunkSize`). */
export const DEFAULT_MAP_CHUNK_SIZE = 1_000;

/** Chunks a batch-mode streamed `map` reads and sends ahead of the one running (`chunksAhead`). */
export const DEFAULT_MAP_CHUNKS_AHEAD = 1;

/** The most `chunksAhead` (each chunk ahead is held in memory until it runs). */
export const MAX_MAP_CHUNKS_AHEAD = 100;

/** Most requests the Message Batches API takes in one batch (the largest `chunkSize`). */
export const MAX_BATCH_REQUESTS = 100_000;
