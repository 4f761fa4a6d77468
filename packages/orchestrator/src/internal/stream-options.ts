import { invalidOption } from '@haiku-army/core';
import {
  DEFAULT_MAP_CHUNK_SIZE,
  DEFAULT_MAP_CHUNKS_AHEAD,
  MAX_BATCH_REQUESTS,
  MAX_MAP_CHUNKS_AHEAD,
} from '../constants.js';

/** Checks a streamed map's `chunksAhead` (also on resume). */
export function checkChunksAhead(value: unknown): number {
  if (value === undefined) return DEFAULT_MAP_CHUNKS_AHEAD;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_MAP_CHUNKS_AHEAD
  )
    throw invalidOption('chunksAhead', `an integer from 0 to ${MAX_MAP_CHUNKS_AHEAD}`, value);
  return value;
}

/** Checks a streamed map's `chunkSize`. */
export function checkChunkSize(value: unknown): number {
  if (value === undefined) return DEFAULT_MAP_CHUNK_SIZE;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_BATCH_REQUESTS
  )
    throw invalidOption('chunkSize', `an integer from 1 to ${MAX_BATCH_REQUESTS}`, value);
  return value;
}
