import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInside, type Tool, writeFiles } from '../src/index.js';
import { executeTool } from '../src/internal/execute-tool.js';

let base: string;
let outDir: string;
let realOutDir: string;
let outside: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'haiku-worker-write-fuzz-'));
  outside = path.join(base, 'outside');
  outDir = path.join(base, 'out');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'SECRET\n');
  await mkdir(path.join(outDir, 'docs'), { recursive: true });
  await mkdir(path.join(outDir, '.git'));
  await writeFile(path.join(outDir, 'existing.txt'), 'before\n');
  await symlink(outside, path.join(outDir, 'link-out'));
  await symlink(path.join(outDir, 'docs'), path.join(outDir, 'link-in'));
  await symlink(path.join(outside, 'secret.txt'), path.join(outDir, 'secret-link.txt'));
  await symlink('../../..', path.join(outDir, 'docs', 'up'));
  realOutDir = await realpath(outDir);
});
afterAll(() => rm(base, { recursive: true, force: true }));

/** Path pieces that exercise every escape route the fixture offers. */
const segment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '',
    'docs',
    'up',
    'link-out',
    'link-in',
    'secret-link.txt',
    'secret.txt',
    'existing.txt',
    'outside',
    'out',
    '.git',
    '.GIT',
    '\0',
    '~',
    '%2e%2e',
    '..\\..',
    'C:',
  ),
  fc.string({ maxLength: 6 }),
);
const pathString = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/')),
  fc
    .tuple(
      fc.constantFrom('/', '//', '/tmp/', '../', './', '\\', 'BASE/'),
      fc.array(segment, { maxLength: 5 }),
    )
    .map(([prefix, parts]) => prefix + parts.join('/')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

async function outsideIsUntouched(): Promise<void> {
  expect(await readdir(outside)).toEqual(['secret.txt']);
  expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET\n');
  expect((await readdir(base)).sort()).toEqual(['out', 'outside']);
  expect(await readdir(path.join(outDir, '.git'))).toEqual([]);
}

describe('write_file under fuzzing', () => {
  it('never writes outside outDir, into .git or through a link, whatever the path', async () => {
    for (const overwrite of [false, true]) {
      const writer = writeFiles({ outDir, overwrite });
      const tool = writer.tools[0] as Tool;
      await fc.assert(
        fc.asyncProperty(pathString, fc.constantFrom('task-a', 'task-b'), async (input, taskId) => {
          const outcome = await executeTool(
            tool,
            tool.name,
            // BASE stands for the directory holding outDir and outside.
            { path: input.replace(/^BASE\//, `${base}/`), content: 'PWNED' },
            { signal: new AbortController().signal, runId: 'run', taskId, toolUseId: 'toolu' },
            50_000,
            [tool.name],
          );
          expect(typeof outcome.content).toBe('string');
          await outsideIsUntouched();
        }),
        { numRuns: 250 },
      );
      if (!overwrite)
        expect(await readFile(path.join(outDir, 'existing.txt'), 'utf8')).toBe('before\n');
      // The property is not vacuous: plenty of fuzzed paths are writable.
      expect(writer.artifacts().length).toBeGreaterThan(10);
      for (const artifact of writer.artifacts()) {
        const absolute = path.join(realOutDir, artifact.path);
        expect(await realpath(absolute)).toBe(absolute);
        expect(isInside(realOutDir, absolute)).toBe(true);
        expect((await lstat(absolute)).isFile()).toBe(true);
        expect(artifact.path.split('/')).not.toContain('..');
        expect(await readFile(absolute, 'utf8')).toBe('PWNED');
      }
    }
  });
});
