import type { Options } from 'tsup';

/**
 * Whether to emit type declarations. `HAIKU_ARMY_SKIP_DTS=1` skips them (the
 * README demo's quick build, which only runs the code; turbo keys its cache
 * on the variable, so a full build never reuses such a dist).
 */
export const emitTypes = process.env.HAIKU_ARMY_SKIP_DTS !== '1';

/** The build every package shares: ESM for Node 20, with types and source maps. */
export const packageBuild = {
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: emitTypes,
  sourcemap: true,
  // The quick build keeps the declarations an earlier full build wrote (editors keep their types).
  clean: emitTypes,
  target: 'node20',
  // Keep class names: errors report `name` from `new.target.name`.
  keepNames: true,
} satisfies Options;
