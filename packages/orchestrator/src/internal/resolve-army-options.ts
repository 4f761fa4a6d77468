import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  ArmyError,
  Budget,
  createGateway,
  ERROR_CODES,
  invalidOption,
  type Logger,
  type ModelGateway,
} from '@haiku-army/core';
import {
  MemoryTranscriptStore,
  type Tool,
  type TranscriptStore,
  type WorkerLimits,
} from '@haiku-army/worker';
import type { ArmyBackend } from '../army-backend.js';
import type { ArmyOptions, ArtifactSource, FailurePolicy } from '../army-options.js';
import { FileResultCache } from '../cache/file-result-cache.js';
import type { ResultCache } from '../cache/result-cache.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_SUBTASKS,
  DEFAULT_PLANNER_MAX_TOKENS,
  DEFAULT_PLANNER_MODEL,
  DEFAULT_RATE_LIMIT_FALLBACK_AFTER_MS,
  DEFAULT_ROUNDS,
  DEFAULT_SYNTHESIZER_MAX_TOKENS,
  DEFAULT_WORKER_MODEL,
} from '../constants.js';
import { JournalRecorder } from '../journal/journal-recorder.js';
import { defaultCacheDirectory, resolveJournalRoot } from '../journal/journal-root.js';
import { InProcessReadyQueue, type ReadyQueueFactory } from '../ready-queue.js';
import type { Router } from '../router-types.js';
import { composeRecorders, noopRecorder, type RunRecorder } from '../run-recorder.js';
import { type BatchSettings, resolveBatchSettings } from './batch-settings.js';
import { fixedModelRouter } from './fixed-model-router.js';

/** Army options validated, with every default filled in. */
export interface ResolvedArmyOptions {
  gateway: ModelGateway;
  /** Where the workers run; undefined: the in-process pool. */
  backend: ArmyBackend | undefined;
  planner: string;
  synthesizer: string;
  router: Router;
  /** The worker model when `workers` is an id (for warming and the pool default). */
  workerModel: string;
  tools: readonly Tool[];
  concurrency: number;
  maxSubtasks: number;
  rounds: number;
  failurePolicy: FailurePolicy;
  sharedPrefix: string | undefined;
  /** The workers' preamble, when not the default. */
  preamble: string | undefined;
  /** The result cache, or undefined when off. */
  cache: ResultCache | undefined;
  context: string | undefined;
  rateLimitFallback: Readonly<Record<string, string>>;
  rateLimitFallbackAfterMs: number;
  maxAttempts: number;
  limits: WorkerLimits | undefined;
  summaryTokenCap: number | undefined;
  warmCache: boolean | undefined;
  plannerMaxTokens: number;
  synthesizerMaxTokens: number;
  artifacts: ArtifactSource | undefined;
  /** The journal root (absolute), or undefined with `journal: false`. */
  journal: string | undefined;
  /** The journal's recorder composed with the caller's. */
  recorder: RunRecorder;
  /** `mode` and the `batch*` options. */
  batch: BatchSettings;
  logger: Logger;
  readyQueue: ReadyQueueFactory;
  transcripts: TranscriptStore;
  signal: AbortSignal | undefined;
  generateId: () => string;
  now: () => number;
}

function integerAtLeast(name: string, value: unknown, minimum: number): number {
  if (!Number.isInteger(value) || (value as number) < minimum)
    throw invalidOption(name, `an integer >= ${minimum}`, value);
  return value as number;
}

function isRouter(value: unknown): value is Router {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as Router).pick === 'function' &&
    typeof (value as Router).name === 'string'
  );
}

function buildGateway(options: ArmyOptions): ModelGateway {
  const budget =
    options.budget === undefined
      ? undefined
      : options.budget instanceof Budget
        ? options.budget
        : (options.backend?.createBudget?.(options.budget) ??
          new Budget({
            limits: options.budget,
            ...(options.ledger ? { ledger: options.ledger } : {}),
          }));
  if (options.gateway) {
    if (!options.gateway || typeof options.gateway.call !== 'function' || !options.gateway.ledger)
      throw invalidOption('gateway', 'a ModelGateway (e.g. createGateway())', options.gateway);
    for (const key of [
      'client',
      'apiKey',
      'baseURL',
      'fetch',
      'ledger',
      'rateLimiter',
      'events',
      'catalog',
    ] as const) {
      if (options[key] !== undefined)
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          `\`${key}\` configures the gateway the army builds, but a \`gateway\` was given; set it on that gateway instead, or drop \`gateway\`.`,
        );
    }
    if (budget && budget !== options.gateway.budget)
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        'A `budget` was given with a `gateway`: the gateway reserves against its own budget. Create the gateway with `budget`, or drop `gateway` and pass `client`/`baseURL`.',
      );
    return options.gateway;
  }
  return createGateway({
    ...(options.client !== undefined ? { client: options.client } : {}),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ...(options.ledger !== undefined ? { ledger: options.ledger } : {}),
    ...(options.rateLimiter !== undefined ? { rateLimiter: options.rateLimiter } : {}),
    ...(options.events !== undefined ? { events: options.events } : {}),
    ...(options.catalog !== undefined ? { catalog: options.catalog } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(budget ? { budget } : {}),
  });
}

function isResultCache(value: unknown): value is ResultCache {
  const cache = value as ResultCache | undefined;
  return (
    !!cache &&
    typeof cache === 'object' &&
    ['get', 'put', 'prune', 'clear'].every(
      (method) => typeof (cache as unknown as Record<string, unknown>)[method] === 'function',
    )
  );
}

/** Values of HAIKU_ARMY_CACHE that turn the default cache off. */
const CACHE_OFF = new Set(['off', 'false', '0', 'no']);

/**
 * The result cache: given, a folder, or by default `<journal's parent>/cache`
 * (HAIKU_ARMY_CACHE names another folder, or `off`); none with `cache: false`
 * or, by default, without a journal.
 */
function resolveCache(
  cache: ArmyOptions['cache'],
  journal: string | undefined,
  logger: Logger,
): ResultCache | undefined {
  if (cache === false) return undefined;
  if (isResultCache(cache)) return cache;
  if (typeof cache === 'string') {
    if (cache.trim() === '')
      throw invalidOption('cache', 'a folder path, a boolean or a ResultCache', cache);
    return new FileResultCache({ directory: resolve(cache), logger });
  }
  if (cache !== undefined && cache !== true)
    throw invalidOption(
      'cache',
      'a boolean, a folder path or a ResultCache { get, put, prune, clear }',
      cache,
    );
  const fromEnvironment = process.env.HAIKU_ARMY_CACHE?.trim();
  if (fromEnvironment && CACHE_OFF.has(fromEnvironment.toLowerCase()))
    return cache === true && journal
      ? new FileResultCache({ directory: defaultCacheDirectory(journal), logger })
      : undefined;
  if (fromEnvironment) return new FileResultCache({ directory: resolve(fromEnvironment), logger });
  if (!journal) return undefined;
  return new FileResultCache({ directory: defaultCacheDirectory(journal), logger });
}

/** Validates the army's options (caller mistakes throw with the option named) and fills defaults. */
export function resolveArmyOptions(options: ArmyOptions = {}): ResolvedArmyOptions {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an options object', options);
  const concurrency = integerAtLeast('concurrency', options.concurrency ?? DEFAULT_CONCURRENCY, 1);
  const maxSubtasks = integerAtLeast('maxSubtasks', options.maxSubtasks ?? DEFAULT_MAX_SUBTASKS, 1);
  const rounds = integerAtLeast('rounds', options.rounds ?? DEFAULT_ROUNDS, 1);
  const maxAttempts = integerAtLeast('maxAttempts', options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1);
  const plannerMaxTokens = integerAtLeast(
    'plannerMaxTokens',
    options.plannerMaxTokens ?? DEFAULT_PLANNER_MAX_TOKENS,
    1,
  );
  const synthesizerMaxTokens = integerAtLeast(
    'synthesizerMaxTokens',
    options.synthesizerMaxTokens ?? DEFAULT_SYNTHESIZER_MAX_TOKENS,
    1,
  );
  const rateLimitFallbackAfterMs = integerAtLeast(
    'rateLimitFallbackAfterMs',
    options.rateLimitFallbackAfterMs ?? DEFAULT_RATE_LIMIT_FALLBACK_AFTER_MS,
    0,
  );
  const failurePolicy = options.failurePolicy ?? 'continue';
  if (failurePolicy !== 'continue' && failurePolicy !== 'fail-fast')
    throw invalidOption('failurePolicy', "'continue' or 'fail-fast'", failurePolicy);
  if (options.sharedPrefix !== undefined && typeof options.sharedPrefix !== 'string')
    throw invalidOption('sharedPrefix', 'a string', options.sharedPrefix);
  if (options.context !== undefined && typeof options.context !== 'string')
    throw invalidOption('context', 'a string', options.context);
  if (options.tools !== undefined && !Array.isArray(options.tools))
    throw invalidOption('tools', 'an array of tools from defineTool()', options.tools);
  if (options.warmCache !== undefined && typeof options.warmCache !== 'boolean')
    throw invalidOption('warmCache', 'a boolean', options.warmCache);
  if (options.artifacts !== undefined && typeof options.artifacts?.artifacts !== 'function')
    throw invalidOption('artifacts', 'an object with an artifacts() method', options.artifacts);
  if (options.recorder !== undefined && (typeof options.recorder !== 'object' || !options.recorder))
    throw invalidOption('recorder', 'a RunRecorder object', options.recorder);
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function')
    throw invalidOption('logger', 'an object with a warn(message) method', options.logger);
  const journal = resolveJournalRoot(options.journal);
  const logger = options.logger ?? console;
  if (
    options.preamble !== undefined &&
    (typeof options.preamble !== 'string' || options.preamble.trim() === '')
  )
    throw invalidOption('preamble', 'a non-empty string', options.preamble);
  const cache = resolveCache(options.cache, journal, logger);
  if (options.readyQueue !== undefined && typeof options.readyQueue !== 'function')
    throw invalidOption('readyQueue', 'a function (runId) => ReadyQueue', options.readyQueue);

  const gateway = buildGateway(options);
  const catalog = gateway.catalog;
  // Unknown models throw UNKNOWN_MODEL here, naming the known ones.
  const planner = catalog.get(options.planner ?? DEFAULT_PLANNER_MODEL).id;
  const synthesizer = catalog.get(options.synthesizer ?? planner).id;
  let router: Router;
  let workerModel: string;
  const workers = options.workers ?? DEFAULT_WORKER_MODEL;
  if (typeof workers === 'string') {
    workerModel = catalog.get(workers).id;
    router = fixedModelRouter(workerModel);
  } else if (isRouter(workers)) {
    router = workers;
    workerModel = DEFAULT_WORKER_MODEL;
  } else {
    throw invalidOption('workers', 'a model id or a Router { name, pick, accept? }', workers);
  }
  const rateLimitFallback = options.rateLimitFallback ?? {};
  if (!rateLimitFallback || typeof rateLimitFallback !== 'object')
    throw invalidOption(
      'rateLimitFallback',
      'an object { model: siblingModel }',
      rateLimitFallback,
    );
  const fallback: Record<string, string> = {};
  for (const [from, to] of Object.entries(rateLimitFallback)) {
    const source = catalog.get(from).id;
    const target = catalog.get(to).id;
    if (source === target)
      throw invalidOption(`rateLimitFallback.${from}`, 'a different model than the key', to);
    fallback[source] = target;
  }
  if (
    options.backend !== undefined &&
    (typeof options.backend !== 'object' || typeof options.backend?.open !== 'function')
  )
    throw invalidOption('backend', 'an ArmyBackend (e.g. redisBackend({ url }))', options.backend);
  const batch = resolveBatchSettings(options, gateway);
  if (options.backend && options.mode === 'batch')
    throw invalidOption(
      'mode',
      "'interactive' with a `backend` (batch mode runs in-process)",
      options.mode,
    );
  return {
    gateway,
    backend: options.backend,
    planner,
    synthesizer,
    router,
    workerModel,
    tools: options.tools ?? [],
    concurrency,
    maxSubtasks,
    rounds,
    failurePolicy,
    sharedPrefix: options.sharedPrefix === '' ? undefined : options.sharedPrefix,
    preamble: options.preamble,
    cache,
    context: options.context,
    rateLimitFallback: fallback,
    rateLimitFallbackAfterMs,
    maxAttempts,
    limits: options.limits,
    summaryTokenCap: options.summaryTokenCap,
    warmCache: options.warmCache,
    plannerMaxTokens,
    synthesizerMaxTokens,
    artifacts: options.artifacts,
    batch,
    journal,
    recorder: composeRecorders(
      ...(journal
        ? [
            new JournalRecorder({
              root: journal,
              logger,
              ...(options.now !== undefined ? { now: options.now } : {}),
            }),
          ]
        : []),
      options.recorder ?? noopRecorder,
    ),
    logger,
    readyQueue: options.readyQueue ?? (() => new InProcessReadyQueue()),
    transcripts: options.transcripts ?? new MemoryTranscriptStore(),
    signal: options.signal,
    generateId: options.generateId ?? randomUUID,
    now: options.now ?? Date.now,
  };
}
