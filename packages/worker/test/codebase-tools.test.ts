import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArmyError } from '@haiku-army/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  codebaseTools,
  createGrepTool,
  createListFilesTool,
  createReadFileTool,
  defineTool,
  type Tool,
  ToolError,
} from '../src/index.js';
import { callTool } from './support/call-tool.js';
import { createFixtureTree, type FixtureTree } from './support/fixture-tree.js';

let tree: FixtureTree;
let listFiles: Tool;
let grep: Tool;
let readFile: Tool;

beforeAll(async () => {
  tree = await createFixtureTree();
  [listFiles, grep, readFile] = codebaseTools({ root: tree.root }) as [Tool, Tool, Tool];
});
afterAll(() => tree.cleanup());

function lines(text: string): string[] {
  return text.split('\n');
}

describe('list_files', () => {
  it('lists files in name order, skipping .git, node_modules, .gitignored files and links out', async () => {
    const result = await callTool(listFiles, {});
    expect(result.isError).toBe(false);
    expect(lines(result.content)).toEqual([
      '.eslintrc.json',
      '.gitignore',
      'README.md',
      'assets/logo.bin',
      'big.txt',
      'math-link.ts',
      'src/index.ts',
      'src/math.ts',
      'src/util/.gitignore',
      'src/util/strings.ts',
      'test/math.test.ts',
      '(files 1-11 of 11)',
    ]);
  });

  it('filters by glob: a bare glob matches at any depth, a glob with "/" matches paths', async () => {
    expect(lines((await callTool(listFiles, { pattern: '*.ts' })).content)).toEqual([
      'math-link.ts',
      'src/index.ts',
      'src/math.ts',
      'src/util/strings.ts',
      'test/math.test.ts',
      '(files 1-5 of 5)',
    ]);
    expect(
      lines((await callTool(listFiles, { pattern: 'util/*.ts', path: 'src' })).content),
    ).toEqual(['src/util/strings.ts', '(files 1-1 of 1)']);
    expect((await callTool(listFiles, { pattern: '*.py' })).content).toBe(
      'No files match "*.py" under ".".',
    );
  });

  it('pages with offset and limit', async () => {
    const first = await callTool(listFiles, { pattern: '*.ts', limit: 2 });
    expect(lines(first.content)).toEqual([
      'math-link.ts',
      'src/index.ts',
      '(files 1-2 of 5; call list_files again with offset 2 for more)',
    ]);
    const last = await callTool(listFiles, { pattern: '*.ts', limit: 2, offset: 4 });
    expect(lines(last.content)).toEqual(['test/math.test.ts', '(files 5-5 of 5)']);
    expect((await callTool(listFiles, { offset: 50 })).content).toMatch(
      /Offset 50 is past the end: 11 file/,
    );
  });

  it('applies the .gitignore of directories above the one listed', async () => {
    const tools = createListFilesTool({ root: tree.root, gitignore: false });
    expect((await callTool(tools, { pattern: '*.log' })).content).toContain('debug.log');
    expect((await callTool(listFiles, { path: 'src/util' })).content).not.toContain('generated.ts');
  });

  it('refuses paths outside the root as tool errors', async () => {
    const result = await callTool(listFiles, { path: '../outside' });
    expect(result).toEqual({
      isError: true,
      content: expect.stringMatching(/climbs out of the sandbox root/),
    });
    expect((await callTool(listFiles, { path: 'link-out' })).content).toMatch(/symbolic link/);
  });
});

describe('grep', () => {
  it('finds regex matches with file and line, skipping ignored and binary files', async () => {
    const result = await callTool(grep, { pattern: 'TODO' });
    expect(result.isError).toBe(false);
    expect(lines(result.content)).toEqual([
      'math-link.ts:3:  return a + b; // TODO(perf): fine',
      'src/index.ts:2:// TODO: export more',
      'src/math.ts:3:  return a + b; // TODO(perf): fine',
      'test/math.test.ts:2:// TODO test add',
      '(4 match(es) in 4 file(s)) Skipped 1 binary file(s).',
    ]);
  });

  it('searches literal text, ignores case, filters by glob and path', async () => {
    expect((await callTool(grep, { pattern: '(a+b)*', literal: true })).content).toContain(
      'src/util/strings.ts:1:',
    );
    const insensitive = await callTool(grep, {
      pattern: 'todo test',
      ignoreCase: true,
      glob: '*.test.ts',
    });
    expect(lines(insensitive.content)[0]).toBe('test/math.test.ts:2:// TODO test add');
    const scoped = await callTool(grep, { pattern: 'export', path: 'src/math.ts' });
    expect(lines(scoped.content)).toHaveLength(4);
  });

  it('stops at maxMatches and prints context lines', async () => {
    const capped = await callTool(grep, { pattern: 'line \\d+ of', maxMatches: 3 });
    expect(lines(capped.content)).toEqual([
      'big.txt:1:line 1 of the big file',
      'big.txt:2:line 2 of the big file',
      'big.txt:3:line 3 of the big file',
      '(stopped at 3 matches; narrow the pattern, path or glob, or raise maxMatches) Skipped 1 binary file(s).',
    ]);
    const context = await callTool(grep, {
      pattern: '^export const',
      path: 'src/math.ts',
      contextLines: 1,
    });
    expect(lines(context.content)).toEqual([
      'src/math.ts-5-',
      'src/math.ts:6:export const PI = 3.14;',
      'src/math.ts:7:export const TAU = PI * 2;',
      '(2 match(es) in 1 file(s))',
    ]);
  });

  it('reports an invalid regular expression clearly', async () => {
    const result = await callTool(grep, { pattern: 'foo(' });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/^Invalid regular expression "foo\(": .*pass literal: true/);
  });

  it('skips files over the size cap', async () => {
    const small = createGrepTool({ root: tree.root, grepMaxFileBytes: 1_000 });
    expect((await callTool(small, { pattern: 'line 1 of' })).content).toMatch(
      /^No matches .* Skipped 1 binary file\(s\) and 1 file\(s\) over 1000 bytes\.$/,
    );
  });
});

describe('read_file', () => {
  it('reads a whole file with line numbers', async () => {
    const result = await callTool(readFile, { path: 'src/index.ts' });
    expect(lines(result.content)).toEqual([
      'src/index.ts (lines 1-2 of 2)',
      "1\texport { add } from './math.js';",
      '2\t// TODO: export more',
    ]);
  });

  it('reads a line range', async () => {
    const result = await callTool(readFile, { path: 'big.txt', startLine: 10, endLine: 12 });
    expect(lines(result.content)).toEqual([
      'big.txt (lines 10-12 of 2000)',
      '10\tline 10 of the big file',
      '11\tline 11 of the big file',
      '12\tline 12 of the big file',
    ]);
  });

  it('stops at the byte cap and says where to continue', async () => {
    const capped = createReadFileTool({ root: tree.root, readMaxBytes: 100 });
    const result = await callTool(capped, { path: 'big.txt' });
    expect(lines(result.content)).toEqual([
      'big.txt (lines 1-4 of 2000)',
      '1\tline 1 of the big file',
      '2\tline 2 of the big file',
      '3\tline 3 of the big file',
      '4\tline 4 of the big file',
      '(byte cap reached at line 4; continue with startLine 5)',
    ]);
  });

  it('refuses a file over the size cap before reading it', async () => {
    const small = createReadFileTool({ root: tree.root, readMaxFileBytes: 1_000 });
    const result = await callTool(small, { path: 'big.txt' });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(
      /^"big.txt" is \d+ bytes; read_file reads files up to 1000 bytes. Use grep/,
    );
  });

  it('refuses binary files, directories, bad ranges and escapes', async () => {
    const cases: [unknown, RegExp][] = [
      [{ path: 'assets/logo.bin' }, /"assets\/logo.bin" is a binary file/],
      [{ path: 'src' }, /"src" is a directory; use list_files/],
      [
        { path: 'src/math.ts', startLine: 5, endLine: 2 },
        /endLine \(2\) is before startLine \(5\)/,
      ],
      [{ path: 'src/math.ts', startLine: 50 }, /has 7 line\(s\); startLine 50 is past the end/],
      [{ path: '../outside/secret.txt' }, /climbs out/],
      [{ path: 'secret-link.txt' }, /symbolic link to a location outside/],
      [{ path: 'src/math.ts\0' }, /NUL byte/],
      [
        { path: 42 },
        /Invalid input for tool "read_file":\n✖ Invalid input: expected string, received number\n {2}→ at path/,
      ],
    ];
    for (const [input, expected] of cases) {
      const result = await callTool(readFile, input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(result.content).toMatch(expected);
    }
  });
});

describe('codebaseTools root', () => {
  it('refuses a missing root or a file at once, with INVALID_OPTIONS and what to do', () => {
    const missing = path.join(tree.root, 'no-such-dir');
    const fail = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        return error as ArmyError;
      }
      throw new Error('expected the tools to refuse the root');
    };
    for (const make of [
      () => codebaseTools({ root: missing }),
      () => createGrepTool({ root: missing }),
      () => createListFilesTool({ root: path.join(tree.root, 'README.md', 'x') }),
    ]) {
      const error = fail(make);
      expect(ArmyError.is(error, 'INVALID_OPTIONS')).toBe(true);
      expect(error.message).toMatch(
        /^Expected `root` to be an existing directory, but ".*" does not exist\. Pass the directory/,
      );
    }
    const file = fail(() => codebaseTools({ root: path.join(tree.root, 'README.md') }));
    expect(file.code).toBe('INVALID_OPTIONS');
    expect(file.message).toBe(
      `Expected \`root\` to be a directory, but ${JSON.stringify(path.join(tree.root, 'README.md'))} is a file. ` +
        `Pass the directory that contains it, e.g. ${JSON.stringify(tree.root)}.`,
    );
    expect(fail(() => codebaseTools({ root: 'no-such-relative-dir' })).message).toMatch(
      /"no-such-relative-dir" \(resolved to ".*no-such-relative-dir"\) does not exist.*current working directory/,
    );
  });
});

describe('defineTool', () => {
  it('sends JSON Schema of the input side and validates before run', async () => {
    let runs = 0;
    const tool = defineTool({
      name: 'add',
      description: 'Adds two numbers.',
      input: z.object({ a: z.number(), b: z.number().default(1) }),
      run: ({ a, b }) => {
        runs += 1;
        return { sum: a + b };
      },
    });
    expect(tool.toApiTool()).toEqual({
      name: 'add',
      description: 'Adds two numbers.',
      input_schema: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number', default: 1 } },
        required: ['a'],
        additionalProperties: false,
      },
    });
    expect(await callTool(tool, { a: 2 })).toEqual({ isError: false, content: '{\n  "sum": 3\n}' });
    expect((await callTool(tool, { a: 'x' })).isError).toBe(true);
    expect(runs).toBe(1);
  });

  it('refuses unknown keys, listing the accepted ones, on every built-in tool', async () => {
    const glob = await callTool(listFiles, { pattern: '*.ts', glob: '*.ts' });
    expect(glob).toEqual({
      isError: true,
      content:
        'Invalid input for tool "list_files":\n✖ Unknown key "glob": tool "list_files" accepts only: pattern, path, offset, limit. Remove it or use an accepted key.',
    });
    expect((await callTool(readFile, { path: 'README.md', lines: 3, from: 1 })).content).toContain(
      'Unknown keys "lines", "from": tool "read_file" accepts only: path, startLine, endLine, maxBytes. Remove them or use an accepted key.',
    );
    expect((await callTool(grep, { pattern: 'x', regex: true })).content).toMatch(
      /Unknown key "regex": tool "grep" accepts only: pattern, literal, ignoreCase, path, glob, maxMatches, contextLines\./,
    );
    for (const tool of [listFiles, grep, readFile])
      expect(tool.toApiTool().input_schema).toMatchObject({ additionalProperties: false });
  });

  it('makes a plain z.object strict but keeps loose objects, refinements and other errors', async () => {
    let runs = 0;
    const strict = defineTool({
      name: 'strict',
      description: 'Strict.',
      input: z
        .object({ a: z.string() })
        .describe('The input.')
        .refine((value) => value.a !== 'bad', 'a must not be "bad"'),
      run: ({ a }) => {
        runs += 1;
        return a;
      },
    });
    expect(strict.inputSchema).toMatchObject({
      description: 'The input.',
      additionalProperties: false,
    });
    expect((await callTool(strict, { a: 'x', b: 1 })).content).toContain(
      'Unknown key "b": tool "strict" accepts only: a.',
    );
    expect((await callTool(strict, { a: 'bad' })).content).toContain('a must not be "bad"');
    expect((await callTool(strict, 'text')).content).toContain('expected object');
    expect(await callTool(strict, { a: 'ok' })).toEqual({ isError: false, content: 'ok' });
    expect(runs).toBe(1);
    const none = defineTool({
      name: 'none',
      description: 'No input.',
      input: z.object({}),
      run: () => 'ran',
    });
    expect((await callTool(none, { x: 1 })).content).toContain(
      'tool "none" accepts no keys (pass {})',
    );
    const alreadyStrict = defineTool({
      name: 'already_strict',
      description: 'Strict already.',
      input: z.strictObject({ a: z.string() }),
      run: () => 'ran',
    });
    expect((await callTool(alreadyStrict, { a: 'x', b: 1, c: 2 })).content).toContain(
      'Unknown keys "b", "c": tool "already_strict" accepts only: a. Remove them',
    );
    const loose = defineTool({
      name: 'loose',
      description: 'Loose.',
      input: z.looseObject({ a: z.string() }),
      run: (input) => Object.keys(input).join(','),
    });
    expect(await callTool(loose, { a: 'x', b: 1 })).toEqual({ isError: false, content: 'a,b' });
    expect(loose.inputSchema.additionalProperties).toEqual({});
  });

  it('turns thrown errors into error results', async () => {
    const failing = defineTool({
      name: 'boom',
      description: 'Fails.',
      input: z.object({ verbatim: z.boolean() }),
      run: ({ verbatim }) => {
        throw verbatim ? new ToolError('Say exactly this.') : new Error('disk on fire');
      },
    });
    expect(await callTool(failing, { verbatim: true })).toEqual({
      isError: true,
      content: 'Say exactly this.',
    });
    expect(await callTool(failing, { verbatim: false })).toEqual({
      isError: true,
      content: 'Tool "boom" failed: disk on fire',
    });
  });

  it('names bad definitions', () => {
    const input = z.object({});
    const run = () => '';
    expect(() => defineTool({ name: 'bad name', description: 'x', input, run })).toThrow(
      'Expected `name` to be a tool name matching ^[a-zA-Z0-9_-]{1,64}$, got "bad name".',
    );
    expect(() => defineTool({ name: 'ok', description: '', input, run })).toThrow(
      '`tools.ok.description`',
    );
    expect(() => defineTool({ name: 'ok', description: 'x', input: z.string(), run })).toThrow(
      'Expected `tools.ok.input` to be a zod object schema',
    );
  });
});

describe('pathological input', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'haiku-worker-pathological-'));
    await writeFile(path.join(base, 'minified.js'), `const x=${'1,'.repeat(50_000)}1;`);
    await writeFile(path.join(base, 'as.txt'), `${'a'.repeat(40)}!\nok\n`);
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('read_file returns the start of a line longer than the byte cap', async () => {
    const capped = createReadFileTool({ root: base, readMaxBytes: 20 });
    const result = await callTool(capped, { path: 'minified.js' });
    expect(result).toEqual({
      isError: false,
      content: [
        'minified.js (lines 1-1 of 1)',
        '1\tconst x=1,1,1,1,1,1,',
        '(byte cap reached inside line 1: showing 20 of its 100010 bytes)',
      ].join('\n'),
    });
  });

  it('grep stops a catastrophically backtracking pattern with a clear error', async () => {
    const tool = createGrepTool({ root: base, grepTimeoutMs: 50 });
    const result = await callTool(tool, { pattern: '(a+)+$' });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(
      /^The regular expression "\(a\+\)\+\$" took over 50 ms on as\.txt/,
    );
    // The same search as literal text is fine.
    expect((await callTool(tool, { pattern: '(a+)+$', literal: true })).content).toMatch(
      /^No matches/,
    );
  });
});
