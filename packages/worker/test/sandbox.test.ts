import { realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codebaseTools, isInside, Sandbox, ToolError } from '../src/index.js';
import { callTool } from './support/call-tool.js';
import { createFixtureTree, type FixtureTree, SECRET } from './support/fixture-tree.js';

let tree: FixtureTree;
let sandbox: Sandbox;
let realRoot: string;

beforeAll(async () => {
  tree = await createFixtureTree();
  sandbox = new Sandbox({ root: tree.root });
  realRoot = await realpath(tree.root);
});
afterAll(() => tree.cleanup());

async function refusal(input: unknown): Promise<string> {
  try {
    await sandbox.resolve(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ToolError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('Sandbox', () => {
  it('resolves paths inside the root to real paths', async () => {
    const math = path.join(realRoot, 'src', 'math.ts');
    for (const input of [
      'src/math.ts',
      './src/math.ts',
      'src/../src/math.ts',
      math,
      'math-link.ts',
    ]) {
      expect(await sandbox.resolve(input)).toEqual({ absolute: math, relative: 'src/math.ts' });
    }
    expect(await sandbox.resolve('.')).toEqual({ absolute: realRoot, relative: '.' });
    expect(await sandbox.resolve('')).toEqual({ absolute: realRoot, relative: '.' });
    expect((await sandbox.resolve('src-link/util')).relative).toBe('src/util');
  });

  it('refuses ".." that climbs out of the root', async () => {
    expect(await refusal('../outside/secret.txt')).toMatch(
      /climbs out of the sandbox root with "\.\."/,
    );
    expect(await refusal('src/../../outside')).toMatch(/climbs out/);
    expect(await refusal('..')).toMatch(/climbs out/);
  });

  it('refuses absolute paths elsewhere', async () => {
    expect(await refusal('/etc/passwd')).toMatch(
      /Absolute path "\/etc\/passwd" is outside the sandbox root/,
    );
    expect(await refusal(path.join(tree.outside, 'secret.txt'))).toMatch(/Absolute path/);
  });

  it('refuses symbolic links that point outside', async () => {
    for (const input of [
      'link-out',
      'link-out/secret.txt',
      'secret-link.txt',
      'src/up',
      'src/up/etc',
    ]) {
      const message = await refusal(input);
      if (input === 'src/up/etc') expect(message).toMatch(/symbolic link|No such file/);
      else
        expect(message).toMatch(
          /resolves through a symbolic link to a location outside the sandbox root/,
        );
    }
  });

  it('refuses NUL bytes, over-long paths, missing files and non-strings', async () => {
    expect(await refusal('src/math.ts\0.png')).toMatch(/NUL byte/);
    expect(await refusal('a/'.repeat(600))).toMatch(/1200 characters long; the limit is 1024/);
    expect(await refusal('src/nope.ts')).toMatch(/No such file or directory: "src\/nope.ts"/);
    expect(await refusal('README.md/x')).toMatch(/No such file or directory/);
    expect(await refusal(42)).toMatch(/Expected a path string, got number/);
  });

  it('refuses repository internals under .git, even named explicitly', async () => {
    expect(await refusal('.git/config')).toMatch(
      /inside \.git \(repository internals, which can hold credentials\)/,
    );
    expect(await refusal('.git')).toMatch(/inside \.git/);
    expect(await refusal('src/util/.git')).toMatch(/inside \.git/);
    expect(await refusal('src/../.git/config')).toMatch(/inside \.git/);
  });

  it('reads Windows separators as "/" and refuses drive-letter paths', async () => {
    const math = path.join(realRoot, 'src', 'math.ts');
    expect(await sandbox.resolve('src\\math.ts')).toEqual({
      absolute: math,
      relative: 'src/math.ts',
    });
    expect(await sandbox.resolve('.\\src\\util\\')).toMatchObject({ relative: 'src/util' });
    expect(await refusal('..\\outside\\secret.txt')).toMatch(/climbs out/);
    expect(await refusal('src\\..\\..\\outside')).toMatch(/climbs out/);
    expect(await refusal('C:\\Windows\\win.ini')).toMatch(
      /Absolute path "C:.*is outside the sandbox root/,
    );
    expect(await refusal('\\\\server\\share')).toMatch(/Absolute path/);
  });

  it('accepts trailing slashes on directories', async () => {
    for (const input of ['src/', './src/', 'src//', 'src-link/'])
      expect(await sandbox.resolve(input)).toEqual({
        absolute: path.join(realRoot, 'src'),
        relative: 'src',
      });
    expect(await refusal('link-out/')).toMatch(/symbolic link/);
    expect(await refusal('../')).toMatch(/climbs out/);
  });

  it('works when the root itself is a symbolic link', async () => {
    const linkedRoot = path.join(path.dirname(tree.root), 'repo-link');
    await symlink(tree.root, linkedRoot);
    const linked = new Sandbox({ root: linkedRoot });
    const math = path.join(realRoot, 'src', 'math.ts');
    expect(await linked.resolve('src/math.ts')).toEqual({
      absolute: math,
      relative: 'src/math.ts',
    });
    expect(await linked.resolve(path.join(linkedRoot, 'src/math.ts'))).toMatchObject({
      relative: 'src/math.ts',
    });
    expect(await linked.resolve(math)).toMatchObject({ relative: 'src/math.ts' });
    for (const input of ['../outside/secret.txt', 'link-out/secret.txt', '../repo-link/../outside'])
      await expect(linked.resolve(input)).rejects.toBeInstanceOf(ToolError);
    const [listFiles] = codebaseTools({ root: linkedRoot });
    expect((await callTool(listFiles!, { pattern: '*.ts', path: 'src/' })).content).toBe(
      'src/index.ts\nsrc/math.ts\nsrc/util/strings.ts\n(files 1-3 of 3)',
    );
  });

  it('names a bad root option', () => {
    expect(() => new Sandbox({ root: '' })).toThrow('Expected `root` to be a directory path');
    expect(() => new Sandbox({ root: '.', maxPathLength: 0 })).toThrow('`maxPathLength`');
  });
});

/** Path pieces that exercise every escape route the fixture offers. */
const segment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '',
    'src',
    'util',
    'link-out',
    'src-link',
    'up',
    'secret-link.txt',
    'secret.txt',
    'math.ts',
    'repo',
    'outside',
    '\0',
    '~',
    '%2e%2e',
    '..\\..',
  ),
  fc.string({ maxLength: 6 }),
);
const pathString = fc.oneof(
  fc.array(segment, { maxLength: 8 }).map((parts) => parts.join('/')),
  fc
    .tuple(
      fc.constantFrom('/', '//', '/tmp/', '/etc/', '../', './'),
      fc.array(segment, { maxLength: 6 }),
    )
    .map(([prefix, parts]) => prefix + parts.join('/')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 2_000 }),
);

describe('Sandbox under fuzzing', () => {
  it('never yields a path outside the root', async () => {
    await fc.assert(
      fc.asyncProperty(pathString, fc.boolean(), async (input, absolute) => {
        const candidate = absolute ? path.join(tree.root, input) : input;
        try {
          const resolved = await sandbox.resolve(candidate);
          expect(isInside(realRoot, resolved.absolute)).toBe(true);
          expect(await realpath(resolved.absolute)).toBe(resolved.absolute);
        } catch (error) {
          expect(error).toBeInstanceOf(ToolError);
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it('never lets a tool read what lies outside the root', async () => {
    const tools = codebaseTools({ root: tree.root });
    const [listFiles, grep, readFile] = tools as [
      (typeof tools)[0],
      (typeof tools)[0],
      (typeof tools)[0],
    ];
    await fc.assert(
      fc.asyncProperty(pathString, async (input) => {
        const outcomes = await Promise.all([
          callTool(readFile, { path: input }),
          callTool(grep, { pattern: 'SECRET', path: input }),
          callTool(listFiles, { path: input }),
        ]);
        for (const outcome of outcomes) {
          expect(outcome.content).not.toContain(SECRET);
          expect(outcome.content).not.toContain('secret.txt\n');
        }
      }),
      { numRuns: 300 },
    );
  });
});
