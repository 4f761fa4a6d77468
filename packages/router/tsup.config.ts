import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// The library, plus the `eval` and `train` commands (dist/cli/*.js).
export default defineConfig({
  ...packageBuild,
  entry: ['src/index.ts', 'src/cli/eval.ts', 'src/cli/train.ts'],
});
