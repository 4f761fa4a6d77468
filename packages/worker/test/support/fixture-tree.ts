import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A marker that lives only outside the sandbox root. */
export const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';

export interface FixtureTree {
  /** The sandbox root. */
  root: string;
  /** A directory beside the root holding `secret.txt`. */
  outside: string;
  cleanup(): Promise<void>;
}

/**
 * A small repository on disk: sources, a nested .gitignore, node_modules,
 * .git, a binary file, and symbolic links inside and out of the root.
 */
export async function createFixtureTree(): Promise<FixtureTree> {
  const base = await mkdtemp(path.join(tmpdir(), 'haiku-worker-'));
  const root = path.join(base, 'repo');
  const outside = path.join(base, 'outside');
  const files: Record<string, string | Uint8Array> = {
    'README.md': '# Demo\nA demo repository.\n',
    '.gitignore': 'dist/\n*.log\n',
    '.eslintrc.json': '{}\n',
    'src/index.ts': "export { add } from './math.js';\n// TODO: export more\n",
    'src/math.ts': [
      '// math helpers',
      'export function add(a: number, b: number) {',
      '  return a + b; // TODO(perf): fine',
      '}',
      '',
      'export const PI = 3.14;',
      'export const TAU = PI * 2;',
      '',
    ].join('\n'),
    'src/util/strings.ts': 'export const shout = (s: string) => s.toUpperCase() + "!"; // (a+b)*\n',
    'src/util/.gitignore': 'generated.ts\n',
    'src/util/generated.ts': 'export const generated = true; // TODO hidden\n',
    'test/math.test.ts': "import { add } from '../src/math.js';\n// TODO test add\n",
    'debug.log': 'TODO in a log\n',
    'dist/index.js': 'TODO built\n',
    'node_modules/dep/index.js': 'TODO dependency\n',
    '.git/config': '[core] TODO\n',
    'src/util/.git': 'gitdir: ../../.git/modules/util\n', // a submodule's .git is a file
    'assets/logo.bin': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0x54, 0x4f, 0x44, 0x4f]),
    'big.txt': Array.from(
      { length: 2_000 },
      (_, index) => `line ${index + 1} of the big file`,
    ).join('\n'),
  };
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), `${SECRET}\nTODO secret\n`);
  await symlink(outside, path.join(root, 'link-out'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
  await symlink(path.join(root, 'src', 'math.ts'), path.join(root, 'math-link.ts'));
  await symlink(path.join(root, 'src'), path.join(root, 'src-link'));
  await symlink('../../..', path.join(root, 'src', 'up'));
  return { root, outside, cleanup: () => rm(base, { recursive: true, force: true }) };
}
