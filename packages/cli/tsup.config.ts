import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// The library (runCli, for embedding and tests) and the `army` entry the bin loads.
export default defineConfig({
  ...packageBuild,
  entry: ['src/index.ts', 'src/main.ts'],
  dts: { entry: 'src/index.ts' },
});
