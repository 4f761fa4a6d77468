import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reply, toolExchanges } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codebaseTools, createWorker, type Tool } from '../src/index.js';
import { callTool } from './support/call-tool.js';
import { HAIKU, useHarness } from './support/harness.js';

let base: string;
let repo: string;

/** A git repository whose top-level ignore files name build output. */
async function createRepository(files: Record<string, string>): Promise<string> {
  const top = await mkdtemp(path.join(base, 'repo-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(top, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return top;
}

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'haiku-worker-gitignore-'));
  repo = await createRepository({
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/info/exclude': 'local-notes.txt\n',
    '.gitignore': [
      'dist/',
      '.turbo/',
      'node_modules/',
      '*.log',
      '/packages/core/generated.ts',
      'coverage',
      '!keep.log',
    ].join('\n'),
    'packages/.gitignore': 'tmp/\n',
    'packages/core/src/index.ts': 'export const MARK = 1; // FIND-ME\n',
    'packages/core/dist/index.js': 'export const MARK = 1; // FIND-ME built\n',
    'packages/core/.turbo/turbo-build.log': 'FIND-ME turbo\n',
    'packages/core/build.log': 'FIND-ME log\n',
    'packages/core/keep.log': 'FIND-ME kept\n',
    'packages/core/generated.ts': 'FIND-ME generated\n',
    'packages/core/coverage/index.html': 'FIND-ME coverage\n',
    'packages/core/tmp/scratch.ts': 'FIND-ME tmp\n',
    'packages/core/local-notes.txt': 'FIND-ME local\n',
    'packages/worker/generated.ts': 'FIND-ME not anchored here\n',
    'packages/worker/dist/index.js': 'FIND-ME built\n',
  });
});
afterAll(() => rm(base, { recursive: true, force: true }));

/** What list_files shows from a root of `packages`. */
const EXPECTED = [
  '.gitignore',
  'core/keep.log',
  'core/src/index.ts',
  'worker/generated.ts',
  '(files 1-4 of 4)',
];

describe('ignore files above the root', () => {
  it('a root below the repository top honours every .gitignore up to the top and info/exclude', async () => {
    const [listFiles, grep] = codebaseTools({ root: path.join(repo, 'packages') }) as Tool[];
    expect((await callTool(listFiles!, {})).content.split('\n')).toEqual(EXPECTED);
    expect((await callTool(listFiles!, { path: 'core' })).content.split('\n')).toEqual([
      'core/keep.log',
      'core/src/index.ts',
      '(files 1-2 of 2)',
    ]);
    expect((await callTool(grep!, { pattern: 'FIND-ME' })).content.split('\n')).toEqual([
      'core/keep.log:1:FIND-ME kept',
      'core/src/index.ts:1:export const MARK = 1; // FIND-ME',
      'worker/generated.ts:1:FIND-ME not anchored here',
      '(3 match(es) in 3 file(s))',
    ]);
  });

  it('anchors patterns at their own file, also from a deeper root', async () => {
    const [listFiles] = codebaseTools({ root: path.join(repo, 'packages', 'core') }) as Tool[];
    expect((await callTool(listFiles!, {})).content.split('\n')).toEqual([
      'keep.log',
      'src/index.ts',
      '(files 1-2 of 2)',
    ]);
  });

  it('still searches a directory named explicitly, with the other rules applied inside it', async () => {
    const [listFiles] = codebaseTools({ root: path.join(repo, 'packages') }) as Tool[];
    expect((await callTool(listFiles!, { path: 'core/dist' })).content).toBe(
      'core/dist/index.js\n(files 1-1 of 1)',
    );
    const [fromDist] = codebaseTools({
      root: path.join(repo, 'packages', 'core', '.turbo'),
    }) as Tool[];
    // .turbo/ is ignored but named as the root; *.log still applies inside it.
    expect((await callTool(fromDist!, {})).content).toBe('No files match "*" under ".".');
    const [fromCoverage] = codebaseTools({
      root: path.join(repo, 'packages', 'core', 'coverage'),
    }) as Tool[];
    expect((await callTool(fromCoverage!, {})).content).toBe('index.html\n(files 1-1 of 1)');
  });

  it('an ignored root or path is exempt itself, but the rule that ignores it still applies below it', async () => {
    const built = await createRepository({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.gitignore': 'build\n*.log\n',
      'build/app/src/index.ts': 'x\n',
      'build/app/src/build/out.js': 'x\n',
      'build/app/src/debug.log': 'x\n',
      'build/app/build/cache.txt': 'x\n',
    });
    const [fromRoot] = codebaseTools({ root: path.join(built, 'build', 'app') }) as Tool[];
    expect((await callTool(fromRoot!, {})).content).toBe('src/index.ts\n(files 1-1 of 1)');
    const [fromTop] = codebaseTools({ root: built }) as Tool[];
    expect((await callTool(fromTop!, {})).content).toBe('.gitignore\n(files 1-1 of 1)');
    expect((await callTool(fromTop!, { path: 'build/app' })).content).toBe(
      'build/app/src/index.ts\n(files 1-1 of 1)',
    );
    expect((await callTool(fromTop!, { path: 'build/app/src/build' })).content).toBe(
      'build/app/src/build/out.js\n(files 1-1 of 1)',
    );
  });

  it('with gitignore: false lists everything but .git and node_modules', async () => {
    const [listFiles] = codebaseTools({
      root: path.join(repo, 'packages'),
      gitignore: false,
    }) as Tool[];
    expect((await callTool(listFiles!, {})).content).toContain('core/dist/index.js');
  });

  it('outside any repository, only the root and nested .gitignore files apply', async () => {
    const loose = await createRepository({
      '.gitignore': 'dist/\n',
      'packages/dist/a.ts': 'x\n',
      'packages/src/a.ts': 'x\n',
    });
    const [listFiles] = codebaseTools({ root: path.join(loose, 'packages') }) as Tool[];
    expect((await callTool(listFiles!, {})).content).toBe('dist/a.ts\nsrc/a.ts\n(files 1-2 of 2)');
  });

  it('finds the top and info/exclude through a .git file (linked worktree)', async () => {
    const main = await createRepository({
      '.git/info/exclude': 'secret-notes.txt\n',
      '.git/worktrees/wt/commondir': '../..\n',
    });
    const worktree = await createRepository({
      '.git': `gitdir: ${path.join(main, '.git', 'worktrees', 'wt')}\n`,
      '.gitignore': 'dist/\n',
      'packages/dist/a.ts': 'x\n',
      'packages/src/a.ts': 'x\n',
      'packages/secret-notes.txt': 'x\n',
    });
    const [listFiles] = codebaseTools({ root: path.join(worktree, 'packages') }) as Tool[];
    expect((await callTool(listFiles!, {})).content).toBe('src/a.ts\n(files 1-1 of 1)');
  });

  it('a nested negation re-includes what a file above excluded', async () => {
    const negated = await createRepository({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.gitignore': '*.gen.ts\n',
      'packages/app/.gitignore': '!keep.gen.ts\n',
      'packages/app/keep.gen.ts': 'x\n',
      'packages/app/drop.gen.ts': 'x\n',
    });
    const [listFiles] = codebaseTools({ root: path.join(negated, 'packages') }) as Tool[];
    expect((await callTool(listFiles!, {})).content).toBe(
      'app/.gitignore\napp/keep.gen.ts\n(files 1-2 of 2)',
    );
  });
});

describe('a worker run against a root inside a git repository', () => {
  const { script } = useHarness();

  it('does not list or grep dist/ when the repository .gitignore names it', async () => {
    const { fake, gateway } = await script(
      reply.toolCalls([
        { name: 'list_files', input: {} },
        { name: 'grep', input: { pattern: 'FIND-ME' } },
      ]),
      reply.toolUse('submit_result', { status: 'done', summary: 'Two places.' }),
    );
    const worker = createWorker({
      gateway,
      tools: codebaseTools({ root: path.join(repo, 'packages') }),
    });
    const result = await worker.run({ id: 'find', brief: 'Find FIND-ME.' });
    expect(result.status).toBe('done');
    const exchanges = toolExchanges(fake.transcript.messages(HAIKU)[1]!);
    expect(exchanges.map((exchange) => exchange.name)).toEqual(['list_files', 'grep']);
    for (const exchange of exchanges) {
      expect(exchange.isError).toBeUndefined();
      expect(exchange.result).not.toMatch(/dist\/|\.turbo|build\.log/);
    }
    expect(exchanges[0]!.result).toBe(EXPECTED.join('\n'));
    expect(exchanges[1]!.result).toContain('(3 match(es) in 3 file(s))');
  });
});
