import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// `./internal` is a second, deliberate entry: helpers the haiku-army packages
// share that are not public API (see src/internal/index.ts).
export default defineConfig({
  ...packageBuild,
  entry: { index: 'src/index.ts', 'internal/index': 'src/internal/index.ts' },
});
