import { ArmyError, ERROR_CODES } from '@haiku-army/core';
import type { ResolvedIo } from '../cli-io.js';

/** Flags of `army worker`. */
export interface WorkerFlags {
  redis?: string;
  concurrency?: number;
  baseUrl?: string;
  queue?: string;
  prefix?: string;
}

type RedisPackage = typeof import('@haiku-army/redis');

// A name in a variable: the bundler leaves the optional package to be resolved at run time.
const REDIS_PACKAGE = '@haiku-army/redis';

/**
 * `army worker --redis URL`: runs subtasks from a coordinator's BullMQ queue
 * (the Redis backend, `@haiku-army/redis`) until interrupted, then finishes
 * the running ones and exits.
 */
export async function workerCommand(flags: WorkerFlags, io: ResolvedIo): Promise<number> {
  const url = flags.redis ?? process.env.HAIKU_ARMY_REDIS_URL;
  if (!url)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      'army worker needs --redis URL (or HAIKU_ARMY_REDIS_URL), the Redis the coordinator enqueues on.',
    );
  let redis: RedisPackage;
  try {
    redis = (await import(REDIS_PACKAGE)) as RedisPackage;
  } catch (error) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      'army worker needs the optional package @haiku-army/redis: install it beside @haiku-army/cli (npm install @haiku-army/redis).',
      { cause: error },
    );
  }
  const worker = await redis.startWorker({
    url,
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.baseUrl !== undefined ? { baseURL: flags.baseUrl } : {}),
    ...(flags.queue !== undefined ? { queueName: flags.queue } : {}),
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
  });
  io.err(`army worker: taking jobs from ${url.replace(/:[^:@/]*@/, ':***@')} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    if (io.interrupt.aborted) resolve();
    else io.interrupt.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.close();
  io.err(`army worker: stopped after ${worker.processed} subtask attempts`);
  return 0;
}
