import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../examples/cost-estimate/index.mjs', import.meta.url));

describe('examples/cost-estimate (the demo)', () => {
  it('prices the case studies through core, exactly', () => {
    const rows = JSON.parse(
      execFileSync(process.execPath, [example, '--json'], { encoding: 'utf8' }),
    ) as {
      workload: string;
      naiveNanoUsd: number;
      optimizedNanoUsd: number;
      savingsNanoUsd: number;
    }[];
    expect(rows.map((row) => row.workload)).toEqual([
      'Code review',
      'Customer support',
      'Document processing',
    ]);
    const documents = rows[2];
    // 1,000 x (50K x $4 + 2K x $20) / MTok on Opus 5.5, versus batch at 50% with 800 on Sonnet 5.5 and 200 on Opus 5.5.
    expect(documents?.naiveNanoUsd).toBe(240_000_000_000);
    expect(documents?.optimizedNanoUsd).toBe(800 * 60_000_000 + 200 * 120_000_000);
    // Code review naive: 217 reviews x (100K x $4 + 3K x $20) / MTok.
    expect(rows[0]?.naiveNanoUsd).toBe(217 * 460_000_000);
    // Support naive: 10,000 x (5K x $2 + 2K x $10) / MTok on Sonnet 5.5.
    expect(rows[1]?.naiveNanoUsd).toBe(10_000 * 30_000_000);
    for (const row of rows) {
      expect(row.optimizedNanoUsd).toBeLessThan(row.naiveNanoUsd);
      expect(row.savingsNanoUsd).toBe(row.naiveNanoUsd - row.optimizedNanoUsd);
    }
  });

  it('prints the savings table', () => {
    const text = execFileSync(process.execPath, [example], { encoding: 'utf8' });
    expect(text).toContain('Document processing');
    expect(text).toMatch(/Total per month\s+\$639\.82/);
  });
});
