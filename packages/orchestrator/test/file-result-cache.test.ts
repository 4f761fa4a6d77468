import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zeroCost } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import { createArmy } from '../src/army.js';
import { cacheKey } from '../src/cache/cache-key.js';
import { FileResultCache } from '../src/cache/file-result-cache.js';
import type { CachedResult } from '../src/cache/result-cache.js';
import { defaultCacheDirectory } from '../src/journal/journal-root.js';

function setup() {
  const warnings: string[] = [];
  const directory = join(mkdtempSync(join(tmpdir(), 'result-cache-')), 'cache');
  const cache = new FileResultCache({ directory, logger: { warn: (m) => warnings.push(m) } });
  return { cache, directory, warnings };
}

function entry(value: unknown): CachedResult {
  return {
    kind: 'synthesis',
    key: cacheKey({ value }),
    runId: 'run-1',
    createdAt: 1,
    model: 'claude-opus-5-5',
    originalCost: { ...zeroCost(), total: 42 },
    value,
  };
}

function files(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(json|tmp)$/.test(name))
    .map((name) => join(directory, name));
}

describe('FileResultCache', () => {
  it('stores content-addressed entries atomically and reads them back', async () => {
    const { cache, directory } = setup();
    const stored = entry('the answer');
    expect(await cache.get(stored.key)).toBeUndefined();
    await cache.put(stored);
    expect(await cache.get(stored.key)).toEqual(stored);
    const [file] = files(directory);
    expect(file).toBe(join(directory, stored.key.slice(0, 2), `${stored.key}.json`));
    expect(files(directory)).toHaveLength(1); // no temporary file left
    await cache.put({ ...stored, value: 'replaced' });
    expect((await cache.get(stored.key))?.value).toBe('replaced');
    expect(await cache.get('not-a-key')).toBeUndefined();
  });

  it('a torn file, a changed body or another version is a warned miss', async () => {
    const { cache, directory, warnings } = setup();
    const entries = [entry('a'), entry('b'), entry('c')];
    for (const stored of entries) await cache.put(stored);
    const path = (stored: CachedResult) =>
      join(directory, stored.key.slice(0, 2), `${stored.key}.json`);
    const text = readFileSync(path(entries[0]!), 'utf8');
    writeFileSync(path(entries[0]!), text.slice(0, text.indexOf('\n') - 3));
    const other = readFileSync(path(entries[1]!), 'utf8');
    writeFileSync(path(entries[1]!), other.replace('"value":"b"', '"value":"B"'));
    const third = readFileSync(path(entries[2]!), 'utf8');
    writeFileSync(path(entries[2]!), third.replace('"version":1', '"version":9'));
    for (const stored of entries) expect(await cache.get(stored.key)).toBeUndefined();
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain('torn write');
    expect(warnings[1]).toContain('hash mismatch');
    expect(warnings[2]).toContain('format version 9');
  });

  it('prune removes what was not used lately; clear removes everything', async () => {
    const { cache, directory } = setup();
    const old = entry('old');
    const fresh = entry('fresh');
    await cache.put(old);
    await cache.put(fresh);
    const week = 7 * 86_400_000;
    const past = (Date.now() - week - 60_000) / 1000;
    utimesSync(join(directory, old.key.slice(0, 2), `${old.key}.json`), past, past);
    expect(await cache.prune({ olderThanMs: week })).toBe(1);
    expect(await cache.get(old.key)).toBeUndefined();
    expect(await cache.get(fresh.key)).toBeDefined();
    expect(await cache.clear()).toBe(1);
    expect(files(directory)).toEqual([]);
    await expect(cache.prune({ olderThanMs: -1 })).rejects.toThrow(/olderThanMs/);
  });

  it('keys do not depend on the order of object keys', () => {
    expect(cacheKey({ a: 1, b: [{ c: 2, d: 3 }] })).toBe(cacheKey({ b: [{ d: 3, c: 2 }], a: 1 }));
    expect(cacheKey({ a: 1 })).not.toBe(cacheKey({ a: 2 }));
  });
});

describe('the cache option', () => {
  it('names what it accepts when given something else', () => {
    expect(() => createArmy({ apiKey: 'k', cache: 5 as never })).toThrow(
      /Expected `cache` to be a boolean, a folder path or a ResultCache/,
    );
    expect(() => createArmy({ apiKey: 'k', cache: ' ' })).toThrow(/`cache`/);
    expect(() => createArmy({ apiKey: 'k', preamble: '' })).toThrow(/`preamble`/);
    expect(() => createArmy({ apiKey: 'k', cache: true, journal: false })).not.toThrow();
  });
});

describe('defaultCacheDirectory', () => {
  it('is .army/cache beside the default .army/runs, and .cache inside any other journal root', () => {
    expect(defaultCacheDirectory('/work/project/.army/runs')).toBe('/work/project/.army/cache');
    expect(defaultCacheDirectory('/tmp/my-runs')).toBe('/tmp/my-runs/.cache');
  });
});
