import { defaultCatalog, invalidOption, type ModelCatalog } from '@haiku-army/core';
import { DEFAULT_BASE_URL, DEFAULT_BATCH_PROCESSING_MS } from '../constants.js';
import type { LatencyDistribution, LatencySetting, ModelLatency } from '../latency.js';
import type { FakeAnthropicOptions } from '../options.js';
import { canonicalModel } from './model-key.js';

/** {@link FakeAnthropicOptions} after validation, with every default filled in. */
export interface ResolvedOptions {
  catalog: ModelCatalog;
  seed: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  batchProcessingMs: number;
  /** Latency with `models` keyed by canonical id (undefined: the per-tier defaults). */
  latency: LatencySetting | undefined;
  apiKeys: ReadonlySet<string> | undefined;
  /** Origin plus path of `baseURL`, no trailing slash. */
  baseURL: string;
  /** The path part of `baseURL` ('' or e.g. '/anthropic'). */
  basePath: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw invalidOption(name, 'a function', value);
  }
}

function checkMilliseconds(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidOption(name, 'a number of milliseconds >= 0', value);
  }
}

function checkDistribution(name: string, value: LatencyDistribution | undefined): void {
  if (value === undefined) return;
  if (typeof value === 'number') {
    checkMilliseconds(name, value);
    return;
  }
  if (!isRecord(value)) throw invalidOption(name, 'a number of ms or a distribution object', value);
  const distribution = value as Exclude<LatencyDistribution, number>;
  switch (distribution.type) {
    case 'fixed':
      checkMilliseconds(`${name}.ms`, distribution.ms);
      return;
    case 'uniform':
      checkMilliseconds(`${name}.minMs`, distribution.minMs);
      checkMilliseconds(`${name}.maxMs`, distribution.maxMs);
      if (distribution.maxMs < distribution.minMs) {
        throw invalidOption(
          `${name}.maxMs`,
          `a number >= minMs (${distribution.minMs})`,
          distribution.maxMs,
        );
      }
      return;
    case 'lognormal':
      checkMilliseconds(`${name}.medianMs`, distribution.medianMs);
      checkMilliseconds(`${name}.sigma`, distribution.sigma);
      return;
    default:
      throw invalidOption(
        `${name}.type`,
        "one of 'fixed', 'uniform', 'lognormal'",
        (distribution as { type?: unknown }).type,
      );
  }
}

function checkModelLatency(name: string, value: ModelLatency): void {
  if (!isRecord(value))
    throw invalidOption(name, 'an object { firstByte?, perOutputTokenMs? }', value);
  checkDistribution(`${name}.firstByte`, value.firstByte);
  if (value.perOutputTokenMs !== undefined) {
    checkMilliseconds(`${name}.perOutputTokenMs`, value.perOutputTokenMs);
  }
}

function resolveLatency(
  latency: LatencySetting | undefined,
  catalog: ModelCatalog,
): LatencySetting | undefined {
  if (latency === undefined) return undefined;
  if (typeof latency === 'number') {
    checkMilliseconds('latency', latency);
    return latency;
  }
  checkModelLatency('latency', latency);
  if (latency.models === undefined) return latency;
  if (!isRecord(latency.models)) {
    throw invalidOption('latency.models', 'an object keyed by model id', latency.models);
  }
  const models: Record<string, ModelLatency> = {};
  for (const [model, value] of Object.entries(latency.models)) {
    checkModelLatency(`latency.models.${model}`, value);
    models[canonicalModel(catalog, 'latency.models', model)] = value;
  }
  return { ...latency, models };
}

function checkResponders(name: string, value: unknown, catalog?: ModelCatalog): void {
  if (value === undefined) return;
  if (!isRecord(value)) throw invalidOption(name, 'an object of responder functions', value);
  for (const [key, responder] of Object.entries(value as Record<string, unknown>)) {
    if (catalog) canonicalModel(catalog, name, key);
    if (typeof responder !== 'function') {
      throw invalidOption(`${name}.${key}`, 'a responder function', responder);
    }
  }
}

function resolveBaseURL(value: string | undefined): { baseURL: string; basePath: string } {
  const text = value ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidOption('baseURL', 'an absolute http(s) URL', value);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw invalidOption('baseURL', 'an http(s) URL without a query or fragment', value);
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  return { baseURL: `${url.origin}${basePath}`, basePath };
}

/**
 * Validates the options of {@link createFakeAnthropic} up front, naming the
 * option in every error, and fills in the defaults (in this one place).
 * `limits` and `faults` are validated by `RateLimits` and `FaultController`,
 * which also validate later calls to `set()` and `configure()`.
 */
export function resolveOptions(options: FakeAnthropicOptions): ResolvedOptions {
  if (!isRecord(options)) throw invalidOption('options', 'an object', options);
  const catalog = options.catalog ?? defaultCatalog;
  if (!isRecord(catalog) || typeof catalog.find !== 'function') {
    throw invalidOption('catalog', 'a ModelCatalog from @haiku-army/core', catalog);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw invalidOption('seed', 'an integer', options.seed);
  }
  for (const name of ['now', 'sleep', 'generateId', 'route', 'defaultResponder'] as const) {
    checkFunction(name, options[name]);
  }
  checkResponders('models', options.models, catalog);
  checkResponders('responders', options.responders);
  if (options.batchProcessingMs !== undefined) {
    checkMilliseconds('batchProcessingMs', options.batchProcessingMs);
  }
  const { apiKeys } = options;
  if (
    apiKeys !== undefined &&
    (!Array.isArray(apiKeys) ||
      apiKeys.length === 0 ||
      apiKeys.some((key) => typeof key !== 'string' || key.length === 0))
  ) {
    throw invalidOption('apiKeys', 'a non-empty array of non-empty strings', apiKeys);
  }
  return {
    catalog,
    seed: options.seed ?? 1,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    batchProcessingMs: options.batchProcessingMs ?? DEFAULT_BATCH_PROCESSING_MS,
    latency: resolveLatency(options.latency, catalog),
    apiKeys: apiKeys ? new Set(apiKeys) : undefined,
    ...resolveBaseURL(options.baseURL),
  };
}
