import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEval } from '../src/cli/eval-command.js';
import { defaultDataDir } from '../src/cli/paths.js';
import { loadDataset } from '../src/index.js';

// The GSM8K development file alone keeps the cross-validation quick; the
// command treats any folder of .jsonl files the same way.
let base: string;
let devDir: string;
let copy: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'router-eval-'));
  devDir = path.join(base, 'dev');
  copy = path.join(base, 'copy', 'gsm8k.jsonl');
  for (const target of [path.join(devDir, 'gsm8k.jsonl'), copy]) {
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(path.join(defaultDataDir(), 'gsm8k.jsonl'), target);
  }
});
afterAll(() => rm(base, { recursive: true, force: true }));

async function run(argv: string[]) {
  let output = '';
  await runEval({ argv, write: (text) => (output += text) });
  return output;
}

describe('eval command', () => {
  it('gives the same --json rows for a copy of a data file as for the development data, and writes --scores-out', async () => {
    const plain = await run(['--data-dir', devDir, '--json']);
    const scoresOut = path.join(base, 'scores');
    const copied = await run([
      '--',
      '--data-dir',
      devDir,
      '--data',
      copy,
      '--json',
      '--scores-out',
      scoresOut,
    ]);
    expect(copied).toBe(plain);

    const lines = plain
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => `${line.dataset} ${line.policy} ${line.evaluation}`)).toEqual([
      'gsm8k always-weak baseline',
      'gsm8k always-strong baseline',
      'gsm8k oracle baseline',
      'gsm8k rules (keywords) heuristic',
      'gsm8k prompt-length heuristic',
      'gsm8k cascade (final-answer check) heuristic',
      'gsm8k learned cross-validated',
      'gsm8k learned (in-sample) in-sample',
    ]);
    for (const line of lines) {
      expect(typeof line.costSaved).toBe('number');
      expect(typeof line.qualityRetained).toBe('number');
    }
    const scoring = lines.filter((line) => 'apgr' in line).map((line) => line.policy);
    expect(scoring).toEqual(['prompt-length', 'learned', 'learned (in-sample)']);
    for (const line of lines.filter((item) => 'apgr' in item)) {
      expect(line.cpt50).toBeGreaterThan(0);
      expect(line.cpt80).toBeGreaterThanOrEqual(line.cpt50);
    }
    expect(lines.slice(0, 3).map((line) => line.quality)).toEqual([0.6598, 0.8604, 0.9357]);

    const ids = (await loadDataset(copy)).rows.map((row) => row.id);
    const files = (await readdir(scoresOut)).sort();
    expect(files).toEqual([
      'gsm8k.learned-in-sample.jsonl',
      'gsm8k.learned.jsonl',
      'gsm8k.prompt-length.jsonl',
    ]);
    for (const file of files) {
      const written = (await readFile(path.join(scoresOut, file), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(written.map((line) => line.id)).toEqual(ids);
      expect(
        written.every(
          (line) => typeof line.score === 'number' && line.score >= 0 && line.score <= 1,
        ),
      ).toBe(true);
    }
  });

  it('prints a table per data set, and names a bad argument or a bad data line', async () => {
    const table = await run(['--data-dir', devDir]);
    expect(table).toContain('gsm8k (917 prompts)');
    expect(table).toMatch(/\| learned\s+\| cross-validated/);
    await expect(run(['--verbose'])).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    const bad = path.join(base, 'bad.jsonl');
    await writeFile(
      bad,
      '{"id":"a","prompt":"p","weak":true,"strong":true}\n{"id":"b","prompt":"p","strong":true}\n',
    );
    await expect(run(['--data-dir', devDir, '--data', bad])).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: `${bad}:2: missing field "weak" (a boolean).`,
    });
  });
});
