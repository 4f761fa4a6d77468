import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/commands/cache.js';
import { army, tempDir } from './support/harness.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../../test/fixtures/incremental-search');
const JOB = 'find every place that calls "retryCall"';

interface RunJson {
  status: string;
  reused: number;
  savedByReuse: number;
  cost: { total: number };
  subtasks: unknown[];
}

function entries(cache: string): number {
  return readdirSync(cache, { recursive: true, encoding: 'utf8' }).filter((name) =>
    name.endsWith('.json'),
  ).length;
}

describe('army run and the result cache', () => {
  it('a repeated run costs nothing; --no-cache pays again; cache prune and clear manage the store', async () => {
    const root = tempDir('repo');
    cpSync(FIXTURE, root, { recursive: true });
    const cache = tempDir('cache');
    const env = { HAIKU_ARMY_JOURNAL: tempDir('journal'), HAIKU_ARMY_CACHE: cache };
    const runJson = async (extra: string[] = []): Promise<RunJson> => {
      const outcome = await army(['run', JOB, '--root', root, '--json', ...extra], { env });
      expect(outcome.code).toBe(0);
      return JSON.parse(outcome.stdout) as RunJson;
    };
    const first = await runJson();
    expect(first.reused).toBe(0);
    expect(first.cost.total).toBeGreaterThan(0);
    const stored = entries(cache);
    expect(stored).toBe(first.subtasks.length + 2);

    const second = await runJson();
    expect(second.cost.total).toBe(0);
    expect(second.reused).toBe(first.subtasks.length + 2);
    expect(second.savedByReuse).toBe(first.cost.total);

    // The bill shows what was reused and what it cost when it ran.
    const bill = await army(['run', JOB, '--root', root], { env });
    expect(bill.code).toBe(0);
    expect(bill.stdout).toContain('done (reused)');
    expect(bill.stdout).toMatch(/\(was \$\d/);
    expect(bill.stdout).toContain(
      `Reused: ${first.subtasks.length + 2} results from the result cache`,
    );

    const uncached = await runJson(['--no-cache']);
    expect(uncached.reused).toBe(0);
    expect(uncached.cost.total).toBe(first.cost.total);

    const prune = await army(['cache', 'prune', '--older-than', '1d', '--json'], { env });
    expect(prune.code).toBe(0);
    expect(JSON.parse(prune.stdout)).toEqual({ cache, action: 'prune', removed: 0 });
    const pruneAll = await army(['cache', 'prune', '--older-than', '0s', '--cache', cache], {
      env: { HAIKU_ARMY_JOURNAL: env.HAIKU_ARMY_JOURNAL },
    });
    expect(pruneAll.code).toBe(0);
    expect(pruneAll.stdout).toContain(`Removed ${stored} cached result(s)`);
    expect(entries(cache)).toBe(0);

    await runJson();
    const clear = await army(['cache', 'clear', '--json'], { env });
    expect(JSON.parse(clear.stdout)).toEqual({ cache, action: 'clear', removed: stored });
    expect(entries(cache)).toBe(0);
    expect((await runJson()).reused).toBe(0);
  });

  it('a bad --older-than is a usage error naming the flag', async () => {
    const outcome = await army(['cache', 'prune', '--older-than', 'soon'], {
      env: { HAIKU_ARMY_JOURNAL: tempDir('journal') },
    });
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain('--older-than "soon" is not a duration');
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
  });
});
