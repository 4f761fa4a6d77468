import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

// Issue 12, point 5: every public package packs to a tarball that installs
// with npm into an empty project outside this repository and runs there.
// Slow (pack, npm install, a type check): everything is prepared once, in
// beforeAll, and the checks share it. Needs the packages built (`pnpm build`).

const repo = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  license?: string;
  engines?: { node?: string };
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Packed {
  name: string;
  version: string;
  tarball: string;
  /** Where the tarball was unpacked (its `package/` folder). */
  dir: string;
  /** Paths in the tarball, relative to `package/`. */
  files: string[];
  /** The package.json inside the tarball (as a user gets it). */
  manifest: Manifest;
}

/** Every package under packages/ that is not private: the list follows the repository. */
function publicPackages(): { dir: string; manifest: Manifest }[] {
  return readdirSync(join(repo, 'packages'))
    .map((name) => join(repo, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest,
    }))
    .filter(({ manifest }) => !manifest.private)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return execFileSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The module specifiers a JavaScript or declaration file imports, by TypeScript's parser. */
function importsOf(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return [...info.importedFiles, ...info.typeReferenceDirectives].map((file) => file.fileName);
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, base) : [path.slice(base.length + 1)];
  });
}

const packages: Packed[] = [];
let project = '';
const offline = { ...process.env };
delete offline.ANTHROPIC_API_KEY;

beforeAll(() => {
  const sources = publicPackages();
  for (const { dir, manifest } of sources)
    if (!existsSync(join(dir, 'dist/index.js')))
      throw new Error(
        `${manifest.name} has no dist/index.js; build first: npx -y pnpm@10 build (from ${repo}).`,
      );
  const work = mkdtempSync(join(tmpdir(), 'haiku-army-packed-'));
  const tarballs = join(work, 'tarballs');
  // pnpm pack turns workspace: ranges into the siblings' versions, as publishing would.
  run(
    'npx',
    [
      '-y',
      'pnpm@10',
      ...sources.flatMap(({ manifest }) => ['--filter', manifest.name]),
      'pack',
      '--pack-destination',
      tarballs,
    ],
    repo,
  );
  for (const { manifest } of sources) {
    const tarball = join(
      tarballs,
      `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`,
    );
    const unpacked = join(work, 'unpacked', manifest.name.replace('/', '+'));
    mkdirSync(unpacked, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', unpacked], work);
    const dir = join(unpacked, 'package');
    packages.push({
      name: manifest.name,
      version: manifest.version,
      tarball,
      dir,
      files: walk(dir).sort(),
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest,
    });
  }
  // An empty project outside the repository, installing only the tarballs (and
  // what they depend on, from the npm cache or registry). Install scripts are
  // not run: none of these packages needs one (msw's only copies a browser
  // service worker).
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'packed-install-check', private: true, type: 'module' }, null, 2)}\n`,
  );
  run(
    'npm',
    [
      'install',
      ...packages.map((packed) => packed.tarball),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    project,
  );
}, 600_000);

describe('packed tarballs (every public package under packages/)', () => {
  it('include at least the five core packages', () => {
    expect(packages.map((packed) => packed.name)).toEqual(
      expect.arrayContaining([
        '@haiku-army/core',
        '@haiku-army/orchestrator',
        '@haiku-army/router',
        '@haiku-army/testing',
        '@haiku-army/worker',
      ]),
    );
  });

  it('hold dist, README.md, LICENSE and package.json, and every exports, main, types and bin target', () => {
    for (const packed of packages) {
      const has = (path: string) => packed.files.includes(path.replace(/^\.\//, ''));
      for (const file of [
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/index.d.ts',
      ])
        expect(has(file), `${packed.name}: ${file}`).toBe(true);
      // Nothing of the sources or tests ships.
      expect(
        packed.files.filter((file) => /^(src|test)\//.test(file) || /\.test\.[jt]s$/.test(file)),
      ).toEqual([]);
      const { manifest } = packed;
      expect([manifest.type, manifest.license, manifest.engines?.node], packed.name).toEqual([
        'module',
        'MIT',
        '>=20.19',
      ]);
      expect(manifest.main && has(manifest.main), `${packed.name}: main`).toBe(true);
      expect(manifest.types && has(manifest.types), `${packed.name}: types`).toBe(true);
      expect(manifest.exports?.['.'], `${packed.name}: exports["."]`).toBeDefined();
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        if (typeof target === 'string') {
          expect(has(target), `${packed.name}: exports["${subpath}"]`).toBe(true);
          continue;
        }
        // `types` first, so TypeScript picks the declarations before any other condition.
        expect(Object.keys(target)[0], `${packed.name}: exports["${subpath}"]`).toBe('types');
        expect(target.types, `${packed.name}: exports["${subpath}"].types`).toMatch(/\.d\.ts$/);
        for (const [condition, path] of Object.entries(target))
          expect(has(path), `${packed.name}: exports["${subpath}"].${condition} ${path}`).toBe(
            true,
          );
      }
      for (const [command, path] of Object.entries(manifest.bin ?? {})) {
        expect(has(path), `${packed.name}: bin ${command}`).toBe(true);
        expect(readFileSync(join(packed.dir, path), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
      }
    }
  });

  it('name no workspace: range; a sibling is required at its own version', () => {
    const versions = new Map(packages.map((packed) => [packed.name, packed.version]));
    for (const packed of packages) {
      const { manifest } = packed;
      for (const field of [
        'dependencies',
        'peerDependencies',
        'optionalDependencies',
        'devDependencies',
      ] as const) {
        for (const [name, range] of Object.entries(manifest[field] ?? {})) {
          expect(range, `${packed.name} ${field}.${name}`).not.toMatch(/^(workspace|link|file):/);
          if (field !== 'devDependencies' && versions.has(name))
            expect(range, `${packed.name} ${field}.${name}`).toBe(versions.get(name));
        }
      }
    }
  });

  it('declare every package their dist imports (dependencies or peers)', () => {
    for (const packed of packages) {
      const { manifest } = packed;
      const declared = new Set([
        manifest.name,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const undeclared = new Set<string>();
      for (const file of packed.files.filter((path) => /^dist\/.*\.(js|d\.ts)$/.test(path)))
        for (const specifier of importsOf(join(packed.dir, file)))
          if (!specifier.startsWith('.') && !isBuiltin(specifier) && specifier !== 'node')
            if (!declared.has(packageOf(specifier))) undeclared.add(packageOf(specifier));
      expect([...undeclared], `${packed.name} imports undeclared packages`).toEqual([]);
    }
  });

  it('install with npm into an empty project, where a createArmy program runs against the installed fake', () => {
    const code = join(project, 'code/src');
    mkdirSync(code, { recursive: true });
    writeFileSync(join(code, 'load.ts'), 'export const load = () => retryCall(fetchAll);\n');
    writeFileSync(join(code, 'other.ts'), '// nothing to see\n');
    writeFileSync(
      join(project, 'main.mjs'),
      `import { join } from 'node:path';
import { usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { cascade } from '@haiku-army/router';
import { startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';

const root = join(process.cwd(), 'code');
const fake = await startFakeAnthropic({ latency: 0 });
const army = createArmy({
  baseURL: fake.url,
  apiKey: 'test-key',
  workers: cascade(['claude-haiku-5-5', 'claude-sonnet-5-5']),
  tools: codebaseTools({ root }),
  context: \`root: \${root}\`,
  budget: { run: usd(1) },
});
const result = await army.run('find every place that calls "retryCall"');
console.log(JSON.stringify({
  status: result.status,
  answer: result.answer,
  subtasks: result.subtasks.map((subtask) => subtask.status),
  total: result.cost.total,
  billed: fake.billing.total(),
  resolved: import.meta.resolve('@haiku-army/orchestrator'),
}));
await fake.close();
`,
    );
    const output = JSON.parse(run(process.execPath, ['main.mjs'], project, offline)) as {
      status: string;
      answer: string;
      subtasks: string[];
      total: number;
      billed: number;
      resolved: string;
    };
    expect(output.status).toBe('done');
    expect(output.answer).toContain('src/load.ts');
    expect(output.subtasks.length).toBeGreaterThan(0);
    expect(output.subtasks.every((status) => status === 'done')).toBe(true);
    expect(output.total).toBeGreaterThan(0);
    expect(output.total).toBe(output.billed);
    // It ran the installed copy, not this repository's.
    expect(output.resolved).toContain(`${project}/node_modules/@haiku-army/orchestrator/dist/`);

    // Every public package's entry point imports there.
    const names = JSON.stringify(packages.map((packed) => packed.name));
    const loaded = JSON.parse(
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const names = ${names}; const out = {}; for (const name of names) out[name] = Object.keys(await import(name)).length; console.log(JSON.stringify(out));`,
        ],
        project,
        offline,
      ),
    ) as Record<string, number>;
    for (const packed of packages) expect(loaded[packed.name], packed.name).toBeGreaterThan(0);
  }, 300_000);

  it('type-check there: the declarations resolve against what npm installed (skipLibCheck off)', () => {
    const imports = packages
      .map((packed, index) => `import * as package${index} from '${packed.name}';`)
      .join('\n');
    writeFileSync(
      join(project, 'check.ts'),
      `${imports}
import { type NanoUsd, usd } from '@haiku-army/core';
import { type ArmyOptions, createArmy, type RunResult } from '@haiku-army/orchestrator';
import { cascade, type Router } from '@haiku-army/router';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools, type Tool, writeFiles } from '@haiku-army/worker';

export const modules = [${packages.map((_, index) => `package${index}`).join(', ')}];
export async function main(): Promise<NanoUsd> {
  const fake: FakeAnthropicServer = await startFakeAnthropic();
  const router: Router = cascade(['claude-haiku-5-5']);
  const tools: Tool[] = [...codebaseTools({ root: '.' }), ...writeFiles({ outDir: 'out' }).tools];
  const options: ArmyOptions = { baseURL: fake.url, apiKey: 'k', workers: router, tools, budget: { run: usd(1) } };
  const result: RunResult = await createArmy(options).run('job');
  await fake.close();
  return result.cost.total;
}
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['check.ts'],
      }),
    );
    let output = '';
    try {
      output = run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output.trim()).toBe('');
  }, 300_000);

  it('run `npx army run ... --json` there, once @haiku-army/cli is among them', (context) => {
    const cli = packages.find((packed) => packed.manifest.bin?.army);
    if (!cli) {
      context.skip('no public package with an `army` bin under packages/ yet');
      return;
    }
    const output = run(
      'npx',
      ['army', 'run', 'find every place that calls "retryCall"', '--root', '.', '--json'],
      project,
      offline,
    );
    const result = JSON.parse(output) as {
      status: string;
      answer: string;
      cost: { total: number; tree: { planner: { cost: { total: number } } } };
    };
    expect(result.status).toBe('done');
    expect(result.answer).toContain('load.ts');
    expect(result.cost.total).toBeGreaterThan(0);
  }, 300_000);
});
