import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalFile } from '../src/journal/journal-file.js';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-file-'));
  dirs.push(dir);
  return dir;
}

/** A flush the test releases by hand, recording how much of the file each flush covered. */
function manualSync(path: string) {
  const flushes: { covered: number; release: () => void }[] = [];
  const sync = () =>
    new Promise<void>((resolve) => {
      flushes.push({
        covered: readFileSync(path, 'utf8').split('\n').length - 1,
        release: resolve,
      });
    });
  return { flushes, sync };
}

describe('JournalFile group commit', () => {
  it('lets concurrent callers share one flush: 50 records written together take two', async () => {
    const path = join(tempDir(), 'run', 'journal.jsonl');
    const file = JournalFile.open(path);
    const done = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        file.write([JSON.stringify({ index })]);
        await file.sync();
        return index;
      }),
    );
    expect(done).toHaveLength(50);
    // The first flush starts with the first write; the 49 writes made while it runs share the next.
    expect(file.syncs).toBe(2);
    await file.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(50);
  });

  it('resolves a sync only after a flush that started after its write', async () => {
    const path = join(tempDir(), 'journal.jsonl');
    const { flushes, sync } = manualSync(path);
    const file = JournalFile.open(path, { sync });
    file.write(['{"a":1}']);
    let firstDone = false;
    const first = file.sync().then(() => {
      firstDone = true;
    });
    file.write(['{"b":2}']);
    let secondDone = false;
    const second = file.sync().then(() => {
      secondDone = true;
    });
    file.write(['{"c":3}']);
    const third = file.sync();
    expect(flushes).toHaveLength(1);
    expect(flushes[0]!.covered).toBe(1);
    flushes[0]!.release();
    await first;
    expect(secondDone).toBe(false);
    // The second flush starts when the first ends and covers both later writes.
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushes).toHaveLength(2);
    expect(flushes[1]!.covered).toBe(3);
    flushes[1]!.release();
    await Promise.all([second, third]);
    expect(firstDone && secondDone).toBe(true);
  });

  it('closes a torn last line with a newline before appending, so the next record stands alone', async () => {
    const path = join(tempDir(), 'journal.jsonl');
    writeFileSync(path, '{"whole":1}\n{"torn":');
    const file = JournalFile.open(path);
    file.write(['{"next":2}']);
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('{"whole":1}\n{"torn":\n{"next":2}\n');
  });

  it('names the path and the options in JOURNAL_NOT_WRITABLE', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    expect(() => JournalFile.open(join(dir, 'a-file', 'run', 'journal.jsonl'))).toThrow(
      expect.objectContaining({
        code: 'JOURNAL_NOT_WRITABLE',
        message: expect.stringMatching(/a-file[/\\]run.*`journal`.*`journal: false`/),
      }),
    );
  });
});
