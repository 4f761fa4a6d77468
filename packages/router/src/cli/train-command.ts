import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDataset } from '../evaluation/dataset.js';
import { DEFAULT_TRAINING, trainRouterModel } from '../learned/learned-model.js';
import { parseArguments } from './arguments.js';
import { dataFiles, defaultDataDir, PACKAGE_DIR } from './paths.js';

/** Where `train` writes the weights by default. */
export const WEIGHTS_PATH = path.join(PACKAGE_DIR, 'src', 'learned', 'weights.json');

/**
 * `pnpm --filter @haiku-army/router train`: retrains the learned policy on
 * every `.jsonl` file of the development folder (`--data-dir`) and writes
 * the weights (`--out`, default src/learned/weights.json). Deterministic.
 */
export async function runTrain(options: {
  argv: readonly string[];
  write?: (text: string) => void;
}): Promise<string> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const args = parseArguments(options.argv, { flags: [], values: ['data-dir', 'out'] });
  const files = dataFiles(args.values.get('data-dir')?.at(-1) ?? defaultDataDir());
  const sets = await Promise.all(files.map((file) => loadDataset(file)));
  const model = trainRouterModel(
    sets.flatMap((set) => set.rows),
    { ...DEFAULT_TRAINING, sources: files.map((file) => path.basename(file)) },
  );
  const out = args.values.get('out')?.at(-1) ?? WEIGHTS_PATH;
  await writeFile(out, `${JSON.stringify(model)}\n`);
  write(
    `Trained on ${model.training.rows} prompts from ${model.training.sources.join(', ')}; ` +
      `${model.weak.length + model.strong.length} weights, threshold ${model.threshold}. Wrote ${out}\n`,
  );
  return out;
}
