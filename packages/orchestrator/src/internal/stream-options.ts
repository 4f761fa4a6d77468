import { invalidOption } from '@haiku-army/core';
import {
  DEFAULT_MAP_CHUNK_SIZE,
  DEFAULT_MAP_CHUNKS_AHEAD,
  MAX_BATCH_REQUESTS,
  MAX_MAP_CHUNKS_AHEAD,
} from '../constants.js';

/** An integer option from `minimum` to `maximum`, or `fallback` when not given. */
function integerOption(
  name: string,
  value: unknown,
  minimum: number,
  maximum: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum)
    throw invalidOption(name, `an integer from ${minimum} to ${maximum}`, value);
  return value;
}

/** Checks a streamed map's `chunksAhead` (also on resume). */
export function checkChunksAhead(value: unknown): number {
  return integerOption('chunksAhead', value, 0, MAX_MAP_CHUNKS_AHEAD, DEFAULT_MAP_CHUNKS_AHEAD);
}

/** Checks a streamed map's `chunkSize`. */
export function checkChunkSize(value: unknown): number {
  return integerOption('chunkSize', value, 1, MAX_BATCH_REQUESTS, DEFAULT_MAP_CHUNK_SIZE);
}
