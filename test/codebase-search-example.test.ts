import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../examples/codebase-search/index.mjs', import.meta.url));

interface Report {
  shards: {
    shard: string;
    status: string;
    calls: number;
    costNanoUsd: number;
    cacheReadTokens: number;
    sharedPrefixReadTokens: number;
    summary: string;
  }[];
  totalNanoUsd: number;
  billedNanoUsd: number;
}

describe('examples/codebase-search', () => {
  it('fans out over the packages offline, every shard done, the ledger equal to the bill', () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY;
    const output = execFileSync(process.execPath, [example, '--json', '--concurrency', '4'], {
      encoding: 'utf8',
      env,
    });
    const report = JSON.parse(output) as Report;
    expect(report.shards.map((shard) => shard.shard)).toEqual(
      expect.arrayContaining(['core/src', 'core/test', 'worker/src']),
    );
    for (const shard of report.shards) {
      expect(shard.status).toBe('done');
      expect(shard.calls).toBe(3);
      expect(shard.costNanoUsd).toBeGreaterThan(0);
      expect(shard.summary).toMatch(/^Searched the assigned files for retry-after, cache_control:/);
    }
    expect(report.totalNanoUsd).toBe(report.billedNanoUsd);
    expect(report.shards.reduce((sum, shard) => sum + shard.costNanoUsd, 0)).toBe(
      report.totalNanoUsd,
    );
    // One worker writes the shared repository map on its first call and reads it on its other two;
    // every other worker, held until that first response, reads it on all three calls.
    // (Each worker's own cached history is read too; that is counted apart.)
    const [warmer, ...others] = report.shards
      .map((shard) => shard.sharedPrefixReadTokens)
      .sort((a, b) => a - b);
    expect(new Set(others).size).toBe(1);
    expect((warmer as number) * 3).toBe((others[0] as number) * 2);
  });

  it('names a bad option', () => {
    expect(() =>
      execFileSync(process.execPath, [example, '--concurrency', '0'], {
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    ).toThrow(/Expected --concurrency to be an integer >= 1, got 0/);
  });
});
