import type { FileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Tool, writeFiles } from '../src/index.js';
import { executeTool } from '../src/internal/execute-tool.js';

/** When set, the next handle opened for writing fails its write with this code. */
const failure = vi.hoisted(() => ({ code: undefined as string | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
    const handle = await actual.open(...args);
    const code = failure.code;
    const flags = typeof args[1] === 'number' ? args[1] : 0;
    if (code === undefined || (flags & actual.constants.O_WRONLY) === 0) return handle;
    failure.code = undefined;
    // Half the content reaches the disk, then the write fails.
    handle.writeFile = async (data) => {
      await handle.write(String(data).slice(0, 2));
      throw Object.assign(new Error(`${code}: write failed`), { code });
    };
    return handle;
  };
  return { ...actual, open, default: { ...actual, open } };
});

let base: string;
beforeAll(async () => {
  base = await fsp.mkdtemp(path.join(tmpdir(), 'haiku-worker-write-atomic-'));
});
afterAll(() => fsp.rm(base, { recursive: true, force: true }));

function write(tool: Tool, input: unknown) {
  const context = {
    signal: new AbortController().signal,
    runId: 'r',
    taskId: 'task-a',
    toolUseId: 'toolu_1',
  };
  return executeTool(tool, tool.name, input, context, 50_000, [tool.name]);
}

describe('writeFiles replaces atomically', () => {
  for (const overwrite of [false, true]) {
    it(`a rewrite that fails leaves the old file and its recorded size (overwrite: ${overwrite})`, async () => {
      const outDir = path.join(base, `out-${overwrite}`);
      await fsp.mkdir(outDir);
      await fsp.writeFile(path.join(outDir, 'before.md'), 'existing content\n');
      const writer = writeFiles({ outDir, overwrite });
      const tool = writer.tools[0] as Tool;
      expect((await write(tool, { path: 'a.md', content: 'first version\n' })).isError).toBe(false);
      failure.code = 'ENOSPC';
      expect(await write(tool, { path: 'a.md', content: 'second, longer version\n' })).toEqual({
        isError: true,
        content: 'No space left to write "a.md".',
      });
      expect(await fsp.readFile(path.join(outDir, 'a.md'), 'utf8')).toBe('first version\n');
      expect(writer.artifacts()).toEqual([{ taskId: 'task-a', path: 'a.md', bytes: 14 }]);
      if (overwrite) {
        failure.code = 'EIO';
        expect((await write(tool, { path: 'before.md', content: 'new\n' })).isError).toBe(true);
        expect(await fsp.readFile(path.join(outDir, 'before.md'), 'utf8')).toBe(
          'existing content\n',
        );
      }
      // No temporary file is left behind.
      expect((await fsp.readdir(outDir)).sort()).toEqual(['a.md', 'before.md']);
      // The next rewrite works.
      expect(await write(tool, { path: 'a.md', content: 'third\n' })).toEqual({
        isError: false,
        content: 'Rewrote "a.md" (6 bytes).',
      });
      expect(writer.artifacts()).toEqual([{ taskId: 'task-a', path: 'a.md', bytes: 6 }]);
    });
  }
});
