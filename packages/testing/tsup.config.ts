import { defineConfig } from 'tsup';
import { emitTypes, packageBuild } from '../../tsup.base.js';

// The CLI is a second entry; only the library has types.
export default defineConfig({
  ...packageBuild,
  entry: ['src/index.ts', 'src/cli.ts'],
  dts: emitTypes ? { entry: 'src/index.ts' } : false,
});
