import { defineConfig } from 'tsup';
import { emitTypes, packageBuild } from '../../tsup.base.js';

// The library and the `army-worker` entry the bin loads.
export default defineConfig({
  ...packageBuild,
  entry: ['src/index.ts', 'src/main.ts'],
  dts: emitTypes ? { entry: 'src/index.ts' } : false,
});
