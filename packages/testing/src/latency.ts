import type { ModelInfo } from '@haiku-army/core';
import { DEFAULT_FIRST_BYTE_MS } from './constants.js';
import type { Random } from './random.js';

/** A delay distribution, in ms. A bare number is a fixed delay. */
export type LatencyDistribution =
  | number
  | { type: 'fixed'; ms: number }
  | { type: 'uniform'; minMs: number; maxMs: number }
  /** Log-normal around `medianMs`; `sigma` is the standard deviation of the log. */
  | { type: 'lognormal'; medianMs: number; sigma: number };

/** Latency of one model. */
export interface ModelLatency {
  /**
   * Time before the response begins (headers, or `message_start`).
   * @default the model's tier in `DEFAULT_FIRST_BYTE_MS` (haiku 30 ms, sonnet 50 ms, opus 80 ms)
   */
  firstByte?: LatencyDistribution;
  /** Extra time per output token (before a JSON response; spread over SSE deltas). @default 0 */
  perOutputTokenMs?: number;
}

/** Latency for every model, with per-model overrides. */
export interface LatencyOptions extends ModelLatency {
  /** Per-model overrides, by model id or alias. @default {} */
  models?: Record<string, ModelLatency>;
}

/** Draws one delay in ms from a distribution (never negative). */
export function sampleLatency(
  distribution: LatencyDistribution | undefined,
  random: Random,
): number {
  if (distribution === undefined) return 0;
  if (typeof distribution === 'number') return Math.max(0, distribution);
  switch (distribution.type) {
    case 'fixed':
      return Math.max(0, distribution.ms);
    case 'uniform':
      return Math.max(
        0,
        distribution.minMs + random.next() * (distribution.maxMs - distribution.minMs),
      );
    case 'lognormal': {
      // Box-Muller: two uniforms to one standard normal.
      const u1 = Math.max(random.next(), Number.EPSILON);
      const u2 = random.next();
      const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      return Math.max(0, distribution.medianMs * Math.exp(distribution.sigma * normal));
    }
  }
}

/**
 * The `latency` option: settings with per-model overrides, or a number of
 * ms that is every model's first-byte delay (`latency: 0` for instant
 * responses).
 */
export type LatencySetting = LatencyOptions | number;

/**
 * The latency settings for one model: its own entry in `models`, then the
 * top-level settings, then the default first byte of its tier
 * ({@link DEFAULT_FIRST_BYTE_MS}) and no per-token delay.
 */
export function latencyFor(
  setting: LatencySetting | undefined,
  model: ModelInfo,
): ModelLatency & { isDefault: boolean } {
  const options: LatencyOptions | undefined =
    typeof setting === 'number' ? { firstByte: setting } : setting;
  const specific = options?.models?.[model.id];
  const firstByte = specific?.firstByte ?? options?.firstByte;
  return {
    firstByte: firstByte ?? DEFAULT_FIRST_BYTE_MS[model.tier],
    perOutputTokenMs: specific?.perOutputTokenMs ?? options?.perOutputTokenMs ?? 0,
    isDefault: firstByte === undefined,
  };
}
