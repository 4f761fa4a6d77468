export {
  DEFAULT_KEY_PREFIX,
  DEFAULT_QUEUE_NAME,
  DEFAULT_RESERVATION_LEASE_MS,
  DEFAULT_WORKER_CONCURRENCY,
  RUN_KEYS_TTL_S,
} from './constants.js';
export { connectRedis } from './internal/connect.js';
export type { ScriptedRedis } from './internal/scripts.js';
export { type RedisBackend, type RedisBackendOptions, redisBackend } from './redis-backend.js';
export { RedisBudget, type RedisBudgetOptions } from './redis-budget.js';
export {
  RedisLedgerStore,
  type RedisLedgerStoreOptions,
  readRunLedger,
} from './redis-ledger-store.js';
export { RedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';
export { type ArmyWorker, type StartWorkerOptions, startWorker } from './start-worker.js';
