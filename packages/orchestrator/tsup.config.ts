import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// `./ai` (armyTool) is its own entry so `ai` is loaded only by who imports it.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/ai/index.ts'] });
