import { invalidOption } from '@haiku-army/core';

/**
 * A seeded pseudo-random number generator, so a failing fault or latency
 * sequence replays exactly from its seed.
 *
 * Why hand-written: mulberry32 is ten lines, and a test double must produce
 * the same sequence for the same seed forever; a library could change its
 * algorithm in a minor release and silently change every replay.
 */
export interface Random {
  /** The next number in [0, 1). */
  next(): number;
  /** A new independent generator derived from this seed and a label (e.g. a model id). */
  fork(label: string): Random;
  /** The seed this generator started from. */
  readonly seed: number;
}

function hashLabel(label: string): number {
  // FNV-1a, 32 bit: a stable, cheap string hash for deriving sub-seeds.
  let hash = 0x811c9dc5;
  for (let index = 0; index < label.length; index += 1) {
    hash ^= label.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Creates a mulberry32 generator.
 *
 * @example
 * const random = createRandom(42);
 * random.next(); // always the same first value for seed 42
 */
export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed)) {
    throw invalidOption('seed', 'an integer', seed);
  }
  let state = seed >>> 0;
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let value = state;
      value = Math.imul(value ^ (value >>> 15), value | 1);
      value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
      return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
    },
    fork(label: string) {
      return createRandom((seed ^ hashLabel(label)) >>> 0);
    },
  };
}
