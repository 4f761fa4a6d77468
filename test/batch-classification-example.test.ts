import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(
  new URL('../examples/batch-classification/index.mjs', import.meta.url),
);

interface Report {
  runMode: string;
  tickets: number;
  status: string;
  labels: Record<string, number>;
  done: number;
  agreeingWithDataset: number;
  calls: number;
  batchedCalls: number;
  batchesCreated: number;
  totalNanoUsd: number;
  batchSavingNanoUsd: number;
  standardPriceNanoUsd: number;
  billedNanoUsd: number;
}

function run(...args: string[]): Report {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  return JSON.parse(
    execFileSync(process.execPath, [example, '--json', '--latency', '0', ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
      env,
    }),
  ) as Report;
}

describe('examples/batch-classification', () => {
  it('1,000 tickets in one Message Batch at half the price of the same run interactively', () => {
    const batch = run();
    const interactive = run('--mode', 'interactive');
    for (const report of [batch, interactive]) {
      expect(report.status).toBe('done');
      expect(report.tickets).toBe(1000);
      expect(report.done).toBe(1000);
      expect(report.calls).toBe(1000);
      expect(report.agreeingWithDataset).toBe(1000);
      expect(report.labels).toEqual({
        billing: 200,
        bug: 200,
        feature_request: 200,
        account: 200,
        shipping: 200,
      });
      // The run's cost is what the fake billed.
      expect(report.totalNanoUsd).toBe(report.billedNanoUsd);
    }
    expect([batch.batchesCreated, batch.batchedCalls]).toEqual([1, 1000]);
    expect([interactive.batchesCreated, interactive.batchedCalls]).toEqual([0, 0]);

    // The half-price bill: the same work at the standard price is the interactive run's
    // cost, and batch mode paid half of it (each call's half rounded to the nano-dollar).
    expect(interactive.batchSavingNanoUsd).toBe(0);
    expect(batch.standardPriceNanoUsd).toBe(interactive.totalNanoUsd);
    expect(batch.totalNanoUsd + batch.batchSavingNanoUsd).toBe(interactive.totalNanoUsd);
    expect(Math.abs(batch.totalNanoUsd * 2 - interactive.totalNanoUsd)).toBeLessThanOrEqual(
      batch.calls,
    );
  }, 180_000);

  it('names a bad mode', () => {
    expect(() => run('--mode', 'cheap')).toThrow(
      /Expected --mode to be "batch" or "interactive", got cheap/,
    );
  });
});
