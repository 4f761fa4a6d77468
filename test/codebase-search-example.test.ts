import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../examples/codebase-search/index.mjs', import.meta.url));

interface Report {
  mode: string;
  status: string;
  answer: string;
  subtasks: {
    id: string;
    status: string;
    model: string;
    calls: number;
    costNanoUsd: number;
    summary: string;
  }[];
  plannerNanoUsd: number;
  synthesisNanoUsd: number;
  totalNanoUsd: number;
  billedNanoUsd: number;
  cacheHitRate: number;
  baseline: { baseline: number; actual: number };
}

function offlineEnv() {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  return env;
}

describe('examples/codebase-search (createArmy)', () => {
  it('plans shards over the packages offline, every shard done, the bill reconciled and itemised', () => {
    const output = execFileSync(
      process.execPath,
      [example, '--json', '--concurrency', '4', '--latency', '0'],
      { encoding: 'utf8', env: offlineEnv() },
    );
    const report = JSON.parse(output) as Report;
    expect(report.mode).toMatch(/^offline/);
    expect(report.status).toBe('done');
    expect(report.subtasks.length).toBeGreaterThan(1);
    for (const subtask of report.subtasks) {
      expect(subtask.status).toBe('done');
      expect(subtask.model).toBe('claude-haiku-5-5');
      expect(subtask.costNanoUsd).toBeGreaterThan(0);
      expect(subtask.summary).toMatch(/^Searched \d+ files for retry-after, cache_control: /);
    }
    // The retry-after parser of core is found, and reported by exactly one shard.
    expect(
      report.subtasks.filter((subtask) =>
        subtask.summary.includes('core/src/gateway/retry-policy.ts'),
      ),
    ).toHaveLength(1);
    expect(report.answer).toContain('core/src/gateway/retry-policy.ts');
    // What the fake billed is what the run says it cost, and the parts add up to it.
    expect(report.totalNanoUsd).toBe(report.billedNanoUsd);
    expect(
      report.plannerNanoUsd +
        report.synthesisNanoUsd +
        report.subtasks.reduce((sum, subtask) => sum + subtask.costNanoUsd, 0),
    ).toBe(report.totalNanoUsd);
    // The workers' shared repository map is cached: one write, the other workers read it.
    expect(report.cacheHitRate).toBeGreaterThan(0);
    expect(report.baseline.actual).toBe(report.totalNanoUsd);
    expect(report.baseline.baseline).toBeGreaterThan(report.totalNanoUsd);
  }, 120_000);

  it('names a bad option', () => {
    expect(() =>
      execFileSync(process.execPath, [example, '--concurrency', '0'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: offlineEnv(),
      }),
    ).toThrow(/Expected --concurrency to be an integer >= 1, got 0/);
  });
});
