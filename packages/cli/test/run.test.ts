import { describe, expect, it } from 'vitest';
import { army, PACKAGES_DIR } from './support/harness.js';

const JOB = 'find every place that retries an API call';

interface Totals {
  calls: number;
  cost: { total: number };
}

describe('army run, offline', () => {
  it('--json prints one RunResult whose cost.total is planner + router + every subtask + synthesis', async () => {
    const { code, stdout, stderrLines } = await army([
      'run',
      JOB,
      '--root',
      PACKAGES_DIR,
      '--json',
    ]);
    expect(code).toBe(0);
    expect(stderrLines[0]).toMatch(/^offline: no ANTHROPIC_API_KEY/);
    const result = JSON.parse(stdout);
    expect(result.status).toBe('done');
    expect(typeof result.runId).toBe('string');
    expect(result.answer.trim().length).toBeGreaterThan(0);
    expect(result.answer).toMatch(/matching lines/);
    const tree = result.cost.tree as {
      planner: Totals;
      router: Totals;
      synthesis: Totals;
      other: Totals;
      subtasks: { id: string; totals: Totals }[];
    };
    expect(tree.planner.calls).toBe(1);
    expect(tree.synthesis.calls).toBe(1);
    expect(tree.subtasks.length).toBeGreaterThan(1);
    const sum =
      tree.planner.cost.total +
      tree.router.cost.total +
      tree.subtasks.reduce((total, node) => total + node.totals.cost.total, 0) +
      tree.synthesis.cost.total;
    expect(tree.other.calls).toBe(0);
    expect(result.cost.total).toBe(sum);
    expect(result.cost.total).toBeGreaterThan(0);
    for (const subtask of result.subtasks) {
      expect(subtask.status).toBe('done');
      expect(subtask.cost.total).toBe(
        tree.subtasks.find((node) => node.id === subtask.id)!.totals.cost.total,
      );
    }
    expect(result.cacheHitRate).toBeGreaterThan(0);
    expect(result.baseline.model).toBe('claude-opus-5-5');
    expect(result.baseline.actual).toBe(result.cost.total);
    expect(result.baseline.savings).toBe(result.baseline.baseline - result.cost.total);
  });

  it('prints one line per event to a pipe, then the answer and the bill on stdout', async () => {
    const { code, stdout, stderrLines } = await army([
      'run',
      JOB,
      '--root',
      PACKAGES_DIR,
      '--budget',
      '2',
    ]);
    expect(code).toBe(0);
    const events = stderrLines.slice(1, -1);
    for (const line of events) expect(line).toMatch(/^\+\s*\d+\.\ds {2}\S/);
    expect(events[0]).toMatch(/run \S+ started: find every place/);
    expect(events.some((line) => /plan {4}round 1: \d+ subtasks/.test(line))).toBe(true);
    expect(events.filter((line) => /queued {2}shard-\d+/.test(line)).length).toBeGreaterThan(1);
    expect(
      events.some((line) => /call {4}planner planner claude-opus-5-5 success \$/.test(line)),
    ).toBe(true);
    expect(
      events.filter((line) => /^\+\s*\S+ {2}done {4}shard-\d+ on claude-haiku-5-5 \$/.test(line))
        .length,
    ).toBe(events.filter((line) => /queued {2}shard/.test(line)).length);
    expect(events.at(-1)).toMatch(/run {5}ended done, \$\d/);
    expect(stderrLines.at(-1)).toMatch(/^Run \S+ done in \d+\.\ds, \$\d/);
    expect(stdout).toMatch(/^Answer:\nCombined findings from \d+ subtasks/);
    expect(stdout).toMatch(/│ shard-1 │ done {3}│ claude-haiku-5-5 │/);
    const total = /^Total +(\d+) calls +\$(\d+\.\d+)$/m.exec(stdout);
    expect(total).not.toBeNull();
    expect(stdout).toMatch(/^Planner +claude-opus-5-5 +1 call +\$/m);
    expect(stdout).toMatch(/^Synthesis +claude-opus-5-5 +1 call +\$/m);
    expect(stdout).toMatch(/^Cache hit rate: \d+\.\d% of input tokens/m);
    expect(stdout).toMatch(/^Saving vs the planner alone: \$\d+\.\d+ \(\d+\.\d%\)/m);
  });

  it('draws a live view on a terminal: subtasks by state, calls in flight, the budget bar', async () => {
    const { code, stdout, stderr } = await army(
      ['run', JOB, '--root', PACKAGES_DIR, '--budget', '1'],
      {
        tty: { columns: 120, rows: 40 },
      },
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/haiku-army {2}run \w{8} {2}offline \(fake API\)/);
    expect(stderr).toMatch(/subtasks {3}\d+ · \d+ queued · \d+ running · \d+ done · 0 failed/);
    expect(stderr).toMatch(/calls {6}\d+ in flight · \d+ ended · 0 retries/);
    expect(stderr).toMatch(/cost {7}\$\d+\.\d{6} [█░]{24} \d+\.\d% of \$1\.000000/);
    expect(stderr).toMatch(/top cost {3}shard-\d+ \$/);
    // Redrawn in place (log-update erases the previous frame), never one line per event.
    expect(stderr).toContain('\u001B[2K');
    expect(stderr).not.toMatch(/queued {2}shard-1/);
    expect(stdout).toMatch(/^Total /m);
  });

  it('--workers auto routes each subtask by the planner’s complexity label (the router’s complexity map)', async () => {
    const { code, stdout } = await army([
      'run',
      JOB,
      '--root',
      PACKAGES_DIR,
      '--workers',
      'auto',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    // The simulated planner labels every shard `simple`: Haiku.
    for (const subtask of result.subtasks) {
      expect(subtask.model).toBe('claude-haiku-5-5');
      expect(subtask.attempts[0].routeReason).toMatch(/complexity "simple" -> claude-haiku-5-5/);
    }
  });
});

describe('army run --batch, offline', () => {
  it('sends the worker calls as Message Batches at half price, and the bill shows the saving', async () => {
    const { code, stdout, stderrLines } = await army([
      'run',
      JOB,
      '--root',
      PACKAGES_DIR,
      '--batch',
    ]);
    expect(code).toBe(0);
    expect(stderrLines.some((line) => /^batch {3}\S+ submitted: \d+ requests$/.test(line))).toBe(
      true,
    );
    expect(
      stderrLines.some((line) => /^batch {3}\S+ ended: \d+ succeeded, 0 errored/.test(line)),
    ).toBe(true);
    expect(stdout).toMatch(
      /^Batch saving: \$0\.\d{6} against the standard price of the batched calls\.$/m,
    );
    expect(stdout).toMatch(/^Total /m);
  });

  it('--json: every worker call was batch-priced, so the saving equals what the workers paid', async () => {
    const { code, stdout } = await army(['run', JOB, '--root', PACKAGES_DIR, '--batch', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.status).toBe('done');
    const subtasks = result.cost.tree.subtasks as { totals: Totals }[];
    const paid = subtasks.reduce((sum, node) => sum + node.totals.cost.total, 0);
    const calls = subtasks.reduce((sum, node) => sum + node.totals.calls, 0);
    // Half price per line item, rounded up: the saving is each item's other half, rounded down.
    expect(result.cost.batchSaving).toBeGreaterThan(0);
    expect(paid - result.cost.batchSaving).toBeGreaterThanOrEqual(0);
    expect(paid - result.cost.batchSaving).toBeLessThanOrEqual(5 * calls);
  });
});
