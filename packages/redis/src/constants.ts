/** The BullMQ queue the coordinator and the workers share, unless `queueName` says otherwise. */
export const DEFAULT_QUEUE_NAME = 'haiku-army';

/** The prefix of every key this package writes (BullMQ's and its own). */
export const DEFAULT_KEY_PREFIX = 'haiku-army';

/** How long a first connection to Redis may take before it counts as unreachable, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * How long a budget reservation lives without being settled, ms. A process
 * killed mid-call never settles: its reservation then counts as spent at its
 * worst case, so the cap still holds, and the scope is not blocked forever.
 */
export const DEFAULT_RESERVATION_LEASE_MS = 15 * 60_000;

/** How long a model with unknown limits lets its single probe request run before another may go, ms. */
export const DEFAULT_PROBE_TTL_MS = 30_000;

/** Longest sleep between polls of a waiting budget reservation or rate-limit slot, ms. */
export const MAX_POLL_MS = 250;

/** Workers running at once in one worker process. */
export const DEFAULT_WORKER_CONCURRENCY = 16;

/** Version of the job and result payloads the coordinator and the workers exchange. */
export const WIRE_VERSION = 1;

/** How long a run's keys (results, ledger stream, budget) and finished jobs are kept after the run, seconds: 7 days. */
export const RUN_KEYS_TTL_S = 7 * 24 * 3600;

/** Why a worker process fails a job it stopped (or did not start) because the coordinator cancelled it. */
export const CANCELLED_JOB_REASON = 'The run was cancelled by its coordinator.';
