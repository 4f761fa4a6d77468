import { describe, expect, it } from 'vitest';
import { setUpArmy } from '../src/army-setup.js';
import { resolveIo } from '../src/cli-io.js';
import { connect } from '../src/connection.js';
import { army, Collector, PACKAGES_DIR, tempDir } from './support/harness.js';

const JOB = 'find every place that retries an API call';

interface Range {
  low: number;
  expected: number;
  high: number;
}

/** Runs the estimate's plan with the army `army run` would build for the same flags. */
async function runPlanLike(flags: Record<string, string>, plan: unknown) {
  const io = resolveIo({
    stdout: new Collector(),
    stderr: new Collector(),
    env: {},
    cwd: PACKAGES_DIR,
  });
  const connection = await connect({});
  try {
    const setup = setUpArmy({ root: PACKAGES_DIR, ...flags }, connection, io, { journal: false });
    return await setup.army.runPlan(plan as never, { job: JOB });
  } finally {
    await connection.close();
  }
}

describe('army estimate', () => {
  for (const workers of ['claude-haiku-5-5', 'auto']) {
    it(`forecasts a range whose high end covers then running the same plan (--workers ${workers})`, async () => {
      const { code, stdout, stderrLines } = await army([
        'estimate',
        JOB,
        '--root',
        PACKAGES_DIR,
        '--workers',
        workers,
        '--json',
      ]);
      expect(code).toBe(0);
      expect(stderrLines[0]).toMatch(/^offline:/);
      const report = JSON.parse(stdout);
      expect(report.planner.model).toBe('claude-opus-5-5');
      expect(report.planner.cost).toBeGreaterThan(0);
      expect(report.basis).toBe('heuristic');
      expect(report.subtasks.length).toBe(report.plan.subtasks.length);
      const ranges: Range[] = [...report.subtasks, report.synthesis, report.total];
      for (const range of ranges) {
        expect(range.low).toBeLessThanOrEqual(range.expected);
        expect(range.expected).toBeLessThanOrEqual(range.high);
        expect(Number.isInteger(range.high)).toBe(true);
      }
      const sum = (key: keyof Range) =>
        report.subtasks.reduce(
          (total: number, subtask: Range) => total + subtask[key],
          report.synthesis[key],
        );
      expect(report.total).toEqual({
        low: sum('low'),
        expected: sum('expected'),
        high: sum('high'),
      });

      const result = await runPlanLike({ workers }, report.plan);
      expect(result.status).toBe('done');
      expect(result.cost.tree.planner.calls).toBe(0);
      expect(report.total.high).toBeGreaterThanOrEqual(result.cost.total);
      for (const subtask of result.cost.tree.subtasks) {
        const forecast = report.subtasks.find((item: { id: string }) => item.id === subtask.id);
        expect(forecast.model).toBe(result.subtasks.find((item) => item.id === subtask.id)!.model);
        expect(forecast.high).toBeGreaterThanOrEqual(subtask.totals.cost.total);
      }
      expect(report.synthesis.high).toBeGreaterThanOrEqual(result.cost.tree.synthesis.cost.total);
    });
  }

  it('prints the range as a table with a Total line, and what the figures rest on', async () => {
    const { code, stdout } = await army(['estimate', JOB, '--root', PACKAGES_DIR], {
      env: { HAIKU_ARMY_JOURNAL: tempDir('empty') },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Plan: \d+ subtasks, written by claude-opus-5-5 for \$\d+\.\d{6} \(already spent\)\./,
    );
    expect(stdout).toMatch(/│ shard-1 │ simple {5}│ claude-haiku-5-5 │/);
    expect(stdout).toMatch(/^Total +to run the plan +\$\d+\.\d{6} +\$\d+\.\d{6} +\$\d+\.\d{6}$/m);
    expect(stdout).toMatch(/^Expected: a heuristic .*no runs journaled/m);
    expect(stdout).toMatch(/^High: every limit reached/m);
  });

  it('once runs are journaled, the expected value is their recorded mean per complexity and model, and it says so', async () => {
    const journal = tempDir('journal');
    const env = { HAIKU_ARMY_JOURNAL: journal };
    const runs = [];
    for (let index = 0; index < 2; index++) {
      const run = await army(['run', JOB, '--root', PACKAGES_DIR, '--json'], { env });
      expect(run.code).toBe(0);
      runs.push(JSON.parse(run.stdout));
    }
    const { code, stdout } = await army(['estimate', JOB, '--root', PACKAGES_DIR, '--json'], {
      env,
    });
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.basis).toBe('history');
    expect(report.journal).toBe(journal);
    // The simulated planner labels every shard `simple` and the workers are Haiku: one bucket.
    const recorded = runs.flatMap((run) =>
      run.subtasks.map((subtask: { cost: { total: number } }) => subtask.cost.total),
    );
    expect(report.history).toEqual({ runs: 2, subtasks: recorded.length });
    const mean = Math.round(recorded.reduce((a: number, b: number) => a + b, 0) / recorded.length);
    for (const subtask of report.subtasks) {
      expect(subtask.basis).toBe('history');
      expect(subtask.samples).toBe(recorded.length);
      expect(subtask.low).toBe(Math.min(...recorded));
      expect(subtask.expected).toBe(Math.min(mean, subtask.high));
    }
    const synthesis = runs.map((run) => run.cost.tree.synthesis.cost.total);
    expect(report.synthesis.basis).toBe('history');
    expect(report.synthesis.expected).toBe(
      Math.min(Math.round((synthesis[0] + synthesis[1]) / 2), report.synthesis.high),
    );

    const text = await army(['estimate', JOB, '--root', PACKAGES_DIR], { env });
    expect(text.stdout).toMatch(
      new RegExp(
        `^Expected: the mean of ${recorded.length} recorded subtasks from 2 journaled runs in ${journal}, by complexity and model`,
        'm',
      ),
    );
  }, 120_000);
});
