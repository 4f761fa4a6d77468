import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../examples/doc-generation/index.mjs', import.meta.url));

interface Report {
  status: string;
  outDir: string;
  index: string;
  pages: { id: string; status: string; calls: number; costNanoUsd: number; summary: string }[];
  artifacts: { taskId: string; path: string; bytes: number }[];
  totalNanoUsd: number;
  billedNanoUsd: number;
}

function offlineEnv() {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  return env;
}

describe('examples/doc-generation', () => {
  it('writes a page per module in the sandbox and builds the index from the workers’ data', () => {
    const root = mkdtempSync(join(tmpdir(), 'example-docs-src-'));
    writeFileSync(
      join(root, 'greet.ts'),
      '/**\n * Greetings. Friendly ones.\n */\nimport { x } from "./x.js";\n\n/** Says hello. */\nexport function hello(name: string): string {\n  return "hi " + name;\n}\n\nexport interface GreetOptions {\n  loud: boolean;\n}\n',
    );
    writeFileSync(join(root, 'ids.js'), '/** The next id. */\nexport const nextId = () => 1;\n');
    writeFileSync(join(root, 'index.ts'), "export * from './greet.js';\n");
    writeFileSync(join(root, 'greet.test.ts'), 'export const skipped = 1;\n');
    const outDir = mkdtempSync(join(tmpdir(), 'example-docs-out-'));
    const output = execFileSync(
      process.execPath,
      [example, '--json', '--latency', '0', '--root', root, '--out', outDir],
      { encoding: 'utf8', env: offlineEnv() },
    );
    const report = JSON.parse(output) as Report;
    expect(report.status).toBe('done');
    // index.ts and the test are not modules to document.
    expect(report.pages.map((page) => [page.id, page.status, page.summary])).toEqual([
      ['greet.ts', 'done', 'Wrote docs/greet.md documenting 2 exports: hello, GreetOptions.'],
      ['ids.js', 'done', 'Wrote docs/ids.md documenting 1 export: nextId.'],
    ]);
    expect(report.artifacts).toEqual([
      { taskId: 'greet.ts', path: 'docs/greet.md', bytes: expect.any(Number) },
      { taskId: 'ids.js', path: 'docs/ids.md', bytes: expect.any(Number) },
    ]);
    const greet = readFileSync(join(outDir, 'docs/greet.md'), 'utf8');
    expect(greet).toMatch(/^# greet\.ts\n\nGreetings\. Friendly ones\.\n/);
    expect(greet).toContain(
      '### `hello` (function)\n\n```ts\nfunction hello(name: string): string\n```\n\nSays hello.',
    );
    expect(Buffer.byteLength(greet)).toBe(report.artifacts[0]!.bytes);
    // The index is plain code over the workers' submitted data, written next to the pages.
    const index = readFileSync(join(outDir, 'index.md'), 'utf8');
    expect(index).toBe(report.index);
    expect(index.split('\n').filter((line) => line.startsWith('- '))).toEqual([
      '- [greet](docs/greet.md): Greetings. (2 exports)',
      '- [ids](docs/ids.md): The next id. (1 export)',
    ]);
    expect(readdirSync(outDir).sort()).toEqual(['docs', 'index.md']);
    // Every worker call is attributed to a page, and the pages add up to the bill.
    expect(report.totalNanoUsd).toBe(report.billedNanoUsd);
    expect(report.pages.reduce((sum, page) => sum + page.costNanoUsd, 0)).toBe(report.totalNanoUsd);
  }, 120_000);
});
