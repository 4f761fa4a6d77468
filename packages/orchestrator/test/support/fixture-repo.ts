import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary repository: `files` maps relative paths to contents. Returns its root. */
export function fixtureRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'army-repo-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * A repository of `count` source files; every `every`-th one calls
 * `retryCall(` (the planted matches). Each file also holds a line only
 * `read_file` can see, `TRANSCRIPT-ONLY-<n>`, to prove transcripts stay down.
 */
export function searchRepo(count = 12, every = 3): { root: string; planted: string[] } {
  const files: Record<string, string> = {};
  const planted: string[] = [];
  for (let index = 1; index <= count; index++) {
    const path = `src/module-${String(index).padStart(2, '0')}.ts`;
    const lines = [
      `// module ${index}`,
      `export const marker${index} = 'TRANSCRIPT-ONLY-${index}';`,
    ];
    if (index % every === 0) {
      lines.push(`export function load${index}() { return retryCall(() => fetch('/x')); }`);
      planted.push(path);
    }
    files[path] = `${lines.join('\n')}\n`;
  }
  return { root: fixtureRepo(files), planted };
}
