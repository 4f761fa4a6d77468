import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('../examples/test-generation/', import.meta.url));

interface Report {
  mode: string;
  status: string;
  answer: string;
  outDir: string;
  subtasks: {
    id: string;
    status: string;
    models: string[];
    rejected: string[];
    costNanoUsd: number;
    data: { path: string; exports: string[]; tests: number };
  }[];
  artifacts: { taskId: string; path: string; bytes: number }[];
  costByModelNanoUsd: Record<string, number>;
  totalNanoUsd: number;
  billedNanoUsd: number;
}

function offlineEnv() {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  return env;
}

/** Transpiles `from/<relative>.ts` to `to/<relative>.js` (types stripped, imports kept). */
function transpileInto(from: string, to: string, relative: string) {
  const output = ts.transpileModule(readFileSync(join(from, relative), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const target = join(to, relative.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, output);
}

describe('examples/test-generation', () => {
  it('writes one parsing test file per module; files that did not parse escalated to Sonnet', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'example-tests-'));
    const output = execFileSync(
      process.execPath,
      [join(exampleDir, 'index.mjs'), '--json', '--latency', '0', '--out', outDir],
      { encoding: 'utf8', env: offlineEnv() },
    );
    const report = JSON.parse(output) as Report;
    expect(report.status).toBe('done');
    expect(report.answer).toBe('5 of 5 test files written and parsing.');
    const byId = Object.fromEntries(report.subtasks.map((subtask) => [subtask.id, subtask]));
    expect(Object.keys(byId).sort()).toEqual([
      'src-dates.ts',
      'src-math.ts',
      'src-money.ts',
      'src-queue.ts',
      'src-strings.ts',
    ]);
    // The simulated Haiku cuts off the two long test files; the parse check
    // rejects them and the cascade hands them to Sonnet, which rewrites them.
    for (const id of ['src-math.ts', 'src-money.ts']) {
      expect(byId[id]!.models).toEqual(['claude-haiku-5-5', 'claude-sonnet-5-5']);
      expect(byId[id]!.rejected).toHaveLength(1);
      expect(byId[id]!.rejected[0]).toMatch(/^test\/\w+\.test\.ts does not parse: line \d+: /);
    }
    for (const id of ['src-dates.ts', 'src-queue.ts', 'src-strings.ts']) {
      expect(byId[id]!.models).toEqual(['claude-haiku-5-5']);
      expect(byId[id]!.rejected).toEqual([]);
    }
    for (const subtask of report.subtasks) expect(subtask.status).toBe('done');
    expect(byId['src-math.ts']!.data).toEqual({
      path: 'test/math.test.ts',
      exports: ['clamp', 'lerp', 'roundTo', 'sum', 'mean', 'median'],
      tests: 6,
    });

    // Exactly one file per subtask, all under the output folder, each parsing.
    expect(report.artifacts.map((artifact) => artifact.path).sort()).toEqual(
      ['dates', 'math', 'money', 'queue', 'strings'].map((name) => `test/${name}.test.ts`),
    );
    expect(readdirSync(join(outDir, 'test')).sort()).toHaveLength(5);
    for (const artifact of report.artifacts) {
      const text = readFileSync(join(outDir, artifact.path), 'utf8');
      expect(Buffer.byteLength(text)).toBe(artifact.bytes);
      const { diagnostics } = ts.transpileModule(text, { reportDiagnostics: true });
      expect(diagnostics ?? []).toEqual([]);
    }

    // The money: both models were paid for, and it all adds up to the bill.
    expect(Object.keys(report.costByModelNanoUsd).sort()).toEqual([
      'claude-haiku-5-5',
      'claude-sonnet-5-5',
    ]);
    expect(report.totalNanoUsd).toBe(report.billedNanoUsd);
    expect(report.subtasks.reduce((sum, subtask) => sum + subtask.costNanoUsd, 0)).toBe(
      report.totalNanoUsd,
    );

    // The generated tests run and pass against the sample (both transpiled to JavaScript).
    const project = mkdtempSync(join(tmpdir(), 'example-tests-run-'));
    for (const name of readdirSync(join(exampleDir, 'sample/src')))
      transpileInto(join(exampleDir, 'sample'), project, `src/${name}`);
    for (const artifact of report.artifacts) transpileInto(outDir, project, artifact.path);
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    const run = execFileSync(
      process.execPath,
      ['--test', ...report.artifacts.map((artifact) => artifact.path.replace(/\.ts$/, '.js'))],
      { cwd: project, encoding: 'utf8' },
    );
    expect(run).toMatch(/(?:#|ℹ) pass 18\b/);
    expect(run).toMatch(/(?:#|ℹ) fail 0\b/);
  }, 120_000);
});
