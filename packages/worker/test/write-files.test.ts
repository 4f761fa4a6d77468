import {
  link,
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
import { ArmyError } from '@haiku-army/core';
import { reply } from '@haiku-army/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorker, type FileWriter, type Tool, writeFiles } from '../src/index.js';
import { executeTool, type ToolOutcome } from '../src/internal/execute-tool.js';
import { writePathKey } from '../src/internal/write-path.js';
import { useHarness } from './support/harness.js';

let base: string;
let outDir: string;
let outside: string;
let counter = 0;

/** Calls write_file as subtask `taskId` would. */
function write(writer: FileWriter, input: unknown, taskId = 'task-a'): Promise<ToolOutcome> {
  const tool = writer.tools[0] as Tool;
  return executeTool(
    tool,
    tool.name,
    input,
    { signal: new AbortController().signal, runId: 'run-1', taskId, toolUseId: 'toolu_1' },
    50_000,
    [tool.name],
  );
}

/** A fresh output directory holding a file, `.git`, and links in and out. */
async function freshOutDir(): Promise<string> {
  counter += 1;
  const dir = path.join(base, `out-${counter}`);
  await mkdir(path.join(dir, 'docs'), { recursive: true });
  await mkdir(path.join(dir, '.git'));
  await writeFile(path.join(dir, 'existing.txt'), 'before\n');
  await symlink(outside, path.join(dir, 'link-out'));
  await symlink(path.join(dir, 'docs'), path.join(dir, 'link-in'));
  await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'secret-link.txt'));
  return dir;
}

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'haiku-worker-write-'));
  outside = path.join(base, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'SECRET\n');
});
beforeEach(async () => {
  outDir = await freshOutDir();
});
afterAll(() => rm(base, { recursive: true, force: true }));

describe('writeFiles', () => {
  it('writes under outDir, creating parents, and lists every artifact with its subtask', async () => {
    const writer = writeFiles({ outDir });
    expect(writer.tools.map((tool) => tool.name)).toEqual(['write_file']);
    expect(writer.tools[0]!.toApiTool().input_schema).toMatchObject({
      required: ['path', 'content'],
      additionalProperties: false,
    });
    expect(await write(writer, { path: 'tests/unit/math.test.ts', content: 'é\n' })).toEqual({
      isError: false,
      content: 'Wrote "tests/unit/math.test.ts" (3 bytes).',
    });
    expect(await write(writer, { path: '.\\docs\\api.md', content: '# API\n' }, 'task-b')).toEqual({
      isError: false,
      content: 'Wrote "docs/api.md" (6 bytes).',
    });
    expect(await readFile(path.join(outDir, 'tests/unit/math.test.ts'), 'utf8')).toBe('é\n');
    expect(writer.artifacts()).toEqual([
      { taskId: 'task-a', path: 'tests/unit/math.test.ts', bytes: 3 },
      { taskId: 'task-b', path: 'docs/api.md', bytes: 6 },
    ]);
    expect(writer.outDir).toBe(await realpath(outDir));
  });

  it('never replaces a file it did not write unless overwrite is true', async () => {
    const writer = writeFiles({ outDir });
    const refused = await write(writer, { path: 'existing.txt', content: 'after\n' });
    expect(refused).toEqual({
      isError: true,
      content:
        '"existing.txt" already exists and was not written in this run; write_file does not overwrite files it did not write. Choose another path.',
    });
    expect(await readFile(path.join(outDir, 'existing.txt'), 'utf8')).toBe('before\n');
    expect(writer.artifacts()).toEqual([]);
    const overwriting = writeFiles({ outDir, overwrite: true });
    expect((await write(overwriting, { path: 'existing.txt', content: 'after\n' })).isError).toBe(
      false,
    );
    expect(await readFile(path.join(outDir, 'existing.txt'), 'utf8')).toBe('after\n');
  });

  it('overwrite: true refuses a hard link to a file outside outDir, leaving both untouched', async () => {
    await link(path.join(outside, 'secret.txt'), path.join(outDir, 'hard.txt'));
    const writer = writeFiles({ outDir, overwrite: true });
    expect(await write(writer, { path: 'hard.txt', content: 'PWNED\n' })).toEqual({
      isError: true,
      content:
        '"hard.txt" has 2 hard links, so writing it would also change a file elsewhere (maybe outside the output directory); write_file refuses it. Choose another path.',
    });
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET\n');
    expect(await readFile(path.join(outDir, 'hard.txt'), 'utf8')).toBe('SECRET\n');
    expect(writer.artifacts()).toEqual([]);
  });

  it('refuses a path another subtask wrote, naming it; a subtask may rewrite its own file', async () => {
    for (const overwrite of [false, true]) {
      const writer = writeFiles({ outDir: path.join(outDir, `shared-${overwrite}`), overwrite });
      await write(writer, { path: 'a.md', content: 'one' }, 'task-a');
      expect(await write(writer, { path: './a.md', content: 'two' }, 'task-b')).toEqual({
        isError: true,
        content:
          '"a.md" was already written by subtask "task-a"; each file belongs to one subtask. Choose another path.',
      });
      expect(await write(writer, { path: 'a.md', content: 'three' }, 'task-a')).toEqual({
        isError: false,
        content: 'Rewrote "a.md" (5 bytes).',
      });
      expect(writer.artifacts()).toEqual([{ taskId: 'task-a', path: 'a.md', bytes: 5 }]);
    }
  });

  it('treats case and Unicode-form variants of a path as one file, on every platform', async () => {
    expect(writePathKey('src/Foo.ts')).toBe(writePathKey('src/foo.ts'));
    expect(writePathKey('SRC/FOO.TS')).toBe('src/foo.ts');
    expect(writePathKey('caf\u0065\u0301.md')).toBe(writePathKey('caf\u00e9.md'));
    expect(writePathKey('a/b.ts')).not.toBe(writePathKey('a/c.ts'));
    const writer = writeFiles({ outDir: path.join(outDir, 'cases') });
    expect((await write(writer, { path: 'src/foo.ts', content: 'a' }, 'task-a')).isError).toBe(
      false,
    );
    expect(await write(writer, { path: 'src/Foo.ts', content: 'b' }, 'task-b')).toEqual({
      isError: true,
      content:
        '"src/Foo.ts" differs only in letter case or Unicode form from "src/foo.ts", already written by subtask "task-a"; on many file systems they are one file, and each file belongs to one subtask. Choose another path.',
    });
    expect(await write(writer, { path: 'SRC/FOO.TS', content: 'c' }, 'task-a')).toMatchObject({
      isError: true,
      content: expect.stringContaining('Rewrite it as "src/foo.ts"'),
    });
    await write(writer, { path: 'caf\u00e9.md', content: 'x' }, 'task-a');
    expect(await write(writer, { path: 'cafe\u0301.md', content: 'y' }, 'task-b')).toMatchObject({
      isError: true,
      content: expect.stringContaining('already written by subtask "task-a"'),
    });
    // Two subtasks racing for case variants: one wins, the other is refused naming it.
    const raced = await Promise.all([
      write(writer, { path: 'Race.md', content: '1' }, 'task-a'),
      write(writer, { path: 'race.md', content: '2' }, 'task-b'),
    ]);
    expect(raced.map((outcome) => outcome.isError)).toEqual([false, true]);
    expect(await readdir(path.join(outDir, 'cases', 'src'))).toEqual(['foo.ts']);
    expect(writer.artifacts().map((artifact) => [artifact.taskId, artifact.path])).toEqual([
      ['task-a', 'src/foo.ts'],
      ['task-a', 'caf\u00e9.md'],
      ['task-a', 'Race.md'],
    ]);
  });

  it('caps file size in UTF-8 bytes and the number of files', async () => {
    const writer = writeFiles({ outDir, maxFileBytes: 4, maxFiles: 2 });
    expect((await write(writer, { path: 'a', content: 'éé' })).isError).toBe(false);
    expect(await write(writer, { path: 'b', content: 'ééé' })).toEqual({
      isError: true,
      content:
        'Content for "b" is 6 bytes; write_file writes files up to 4 bytes. Split it into several files.',
    });
    expect((await write(writer, { path: 'b', content: 'abcd' })).isError).toBe(false);
    expect((await write(writer, { path: 'c', content: 'x' })).content).toBe(
      'The output limit of 2 file(s) is reached; "c" was not written. Put more into the files already written.',
    );
    expect((await write(writer, { path: 'a', content: 'y' })).isError).toBe(false);
    expect(writer.artifacts().map((artifact) => [artifact.path, artifact.bytes])).toEqual([
      ['a', 1],
      ['b', 4],
    ]);
    expect(await readdir(outDir)).not.toContain('c');
  });

  it('refuses escapes, .git, links, directories and malformed paths with a reason', async () => {
    const writer = writeFiles({ outDir, overwrite: true, maxPathLength: 100 });
    const cases: [unknown, RegExp][] = [
      ['../outside/x.txt', /contains "\.\."/],
      ['docs/../../x.txt', /contains "\.\."/],
      ['docs/../x.txt', /contains "\.\."/],
      ['..\\x.txt', /contains "\.\."/],
      ['/tmp/x.txt', /^Absolute path "\/tmp\/x.txt" is refused/],
      [path.join(outDir, 'x.txt'), /^Absolute path/],
      ['C:\\x.txt', /^Absolute path/],
      ['\\\\server\\share\\x', /^Absolute path/],
      ['.git/config', /inside \.git/],
      ['src/.GIT/hooks/pre-commit', /inside \.git/],
      ['link-out/x.txt', /"link-out" is a symbolic link/],
      ['link-in/x.txt', /"link-in" is a symbolic link/],
      ['secret-link.txt', /"secret-link.txt" is a symbolic link/],
      ['existing.txt/x', /"existing.txt" is a file/],
      ['docs', /"docs" is a directory/],
      ['docs/', /names a directory/],
      ['.', /names a directory/],
      ['', /Path is empty/],
      ['a\0b', /NUL byte/],
      ['a/'.repeat(60), /120 characters long; the limit is 100/],
      [42, /expected string, received number/],
    ];
    for (const [input, expected] of cases) {
      const outcome = await write(writer, { path: input, content: 'PWNED' });
      expect(outcome.isError, JSON.stringify(input)).toBe(true);
      expect(outcome.content, JSON.stringify(input)).toMatch(expected);
    }
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET\n');
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readdir(path.join(outDir, 'docs'))).toEqual([]);
    expect(writer.artifacts()).toEqual([]);
    const exclusive = writeFiles({ outDir });
    expect((await write(exclusive, { path: 'secret-link.txt', content: 'PWNED' })).content).toMatch(
      /already exists/,
    );
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET\n');
  });

  it('one of two subtasks racing for a path wins; writes at the file cap never exceed it', async () => {
    const writer = writeFiles({ outDir, maxFiles: 3 });
    const race = await Promise.all(
      ['task-a', 'task-b', 'task-c'].map((taskId) =>
        write(writer, { path: 'same.md', content: taskId }, taskId),
      ),
    );
    expect(race.filter((outcome) => !outcome.isError)).toHaveLength(1);
    const [owner] = writer.artifacts();
    expect(await readFile(path.join(outDir, 'same.md'), 'utf8')).toBe(owner!.taskId);
    for (const outcome of race.filter((each) => each.isError))
      expect(outcome.content).toContain(`already written by subtask "${owner!.taskId}"`);
    const many = await Promise.all(
      Array.from({ length: 6 }, (_, index) => write(writer, { path: `f${index}`, content: 'x' })),
    );
    expect(many.filter((outcome) => !outcome.isError)).toHaveLength(2);
    expect(writer.artifacts()).toHaveLength(3);
  });

  it('checks outDir when created: a file is INVALID_OPTIONS, a missing directory is created', async () => {
    const file = path.join(outDir, 'existing.txt');
    let error: unknown;
    try {
      writeFiles({ outDir: file });
    } catch (caught) {
      error = caught;
    }
    expect(ArmyError.is(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toBe(
      `Expected \`outDir\` to be a directory, but ${JSON.stringify(file)} is a file. Pass a directory path (it is created when missing), or move the file away.`,
    );
    expect(() => writeFiles({ outDir: path.join(file, 'below') })).toThrow(
      /`outDir` to be a directory that can be created or written, but .* cannot be used \(ENOTDIR\)/,
    );
    const created = writeFiles({ outDir: path.join(outDir, 'new', 'nested') });
    expect(await readdir(created.outDir)).toEqual([]);
    expect(() => writeFiles({ outDir: '' })).toThrow('Expected `outDir` to be a directory path');
    expect(() => writeFiles({ outDir, maxFileBytes: 0 })).toThrow('`maxFileBytes`');
    expect(() => writeFiles({ outDir, maxFiles: 1.5 })).toThrow('`maxFiles`');
    expect(() => writeFiles({ outDir, overwrite: 'yes' as never })).toThrow('`overwrite`');
  });
});

describe('write_file in a worker run', () => {
  const { script } = useHarness();

  it('attributes each artifact to the task that wrote it', async () => {
    const { gateway } = await script(
      reply.toolUse('write_file', { path: 'tests/a.test.ts', content: 'test("a")\n' }),
      reply.toolUse('submit_result', { status: 'done', summary: 'Wrote tests/a.test.ts.' }),
    );
    const writer = writeFiles({ outDir });
    const worker = createWorker({ gateway, tools: writer.tools });
    const result = await worker.run({ id: 'gen-a', brief: 'Write a test for a.' });
    expect(result.status).toBe('done');
    expect(writer.artifacts()).toEqual([{ taskId: 'gen-a', path: 'tests/a.test.ts', bytes: 10 }]);
    expect(await readFile(path.join(outDir, 'tests/a.test.ts'), 'utf8')).toBe('test("a")\n');
  });
});
