import type { Options } from 'tsup';

/** The build every package shares: ESM for Node 20, with types and source maps. */
export const packageBuild = {
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep class names: errors report `name` from `new.target.name`.
  keepNames: true,
} satisfies Options;
