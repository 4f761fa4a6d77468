import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../constants.js';
import { defineScripts, type ScriptedRedis } from './scripts.js';

/** A Redis URL with any password hidden, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Checks a `url` option: a `redis://` or `rediss://` URL. */
export function checkUrl(url: unknown): string {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
    throw invalidOption('url', 'a Redis URL such as redis://127.0.0.1:6379', url);
  try {
    new URL(url);
  } catch {
    throw invalidOption('url', 'a Redis URL such as redis://127.0.0.1:6379', url);
  }
  return url;
}

/** The error for a Redis that cannot be reached (or stopped answering). */
export function backendUnavailable(url: string, cause: unknown): ArmyError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ArmyError(
    ERROR_CODES.BACKEND_UNAVAILABLE,
    `Redis at ${describeUrl(url)} is unreachable (${reason}); nothing was enqueued or acknowledged. ` +
      'Start redis-server (or fix the URL), then run again, or `army.resume(runId)` a run it interrupted.',
    { cause },
  );
}

/** The last connection error of each connection (ECONNREFUSED says more than "Connection is closed"). */
const lastErrors = new WeakMap<Redis, Error>();

/** Options of {@link createConnection}. */
export interface ConnectionOptions {
  url: string;
  /** BullMQ workers and blocking reads need commands that wait through reconnects, not fail. */
  blocking?: boolean;
  /** @default 5000 */
  connectTimeoutMs?: number;
}

/** A connection (not yet connected) with the package's scripts defined. */
export function createConnection(options: ConnectionOptions): ScriptedRedis {
  let connected = false;
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // A command sent while Redis is down fails after a few reconnect tries rather than waiting forever.
    maxRetriesPerRequest: options.blocking ? null : 3,
    // A connection that never reached Redis ends at once ('end', from which
    // `connect()` starts over) instead of reconnecting in the background: a
    // failed first connect leaves nothing running. One that was connected
    // reconnects with ioredis's backoff, so it serves again once Redis is back.
    retryStrategy: (times) => (connected ? Math.min(times * 50, 2000) : null),
  });
  redis.on('ready', () => {
    connected = true;
  });
  // ioredis reports connection errors as events; they surface through the commands that fail.
  redis.on('error', (error: Error) => lastErrors.set(redis, error));
  return defineScripts(redis);
}

/**
 * Waits until Redis answers a PING, so an unreachable server fails now with
 * `BACKEND_UNAVAILABLE` instead of queueing commands forever.
 */
export async function ensureConnected(
  redis: ScriptedRedis,
  url: string,
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      // A connection this dropped before ('end') connects again: a shared one
      // (the backend's) serves the next run once Redis is back.
      (redis.status === 'wait' || redis.status === 'end'
        ? redis.connect()
        : Promise.resolve()
      ).then(() => redis.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    // Not disconnected: one that never connected has ended by itself (see
    // createConnection), and disconnecting one between reconnect tries would
    // leave ioredis stuck in 'reconnecting' with nothing to wake it.
    throw backendUnavailable(url, lastErrors.get(redis) ?? error);
  } finally {
    clearTimeout(timer);
  }
}

/** A connected connection. @throws ArmyError `BACKEND_UNAVAILABLE` */
export async function connectRedis(options: ConnectionOptions): Promise<ScriptedRedis> {
  const redis = createConnection(options);
  await ensureConnected(redis, options.url, options.connectTimeoutMs);
  return redis;
}

/** ioredis options for a URL, for BullMQ to open (and close) connections of its own. */
export function redisOptionsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}
