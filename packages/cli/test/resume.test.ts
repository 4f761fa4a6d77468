import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { listRuns, loadRun } from '@haiku-army/orchestrator';
import { describe, expect, it } from 'vitest';
import { RUN_FLAGS_FILE } from '../src/run-flags-file.js';
import { army, PACKAGES_DIR, tempDir } from './support/harness.js';

const JOB = 'find every place that retries an API call';

interface Totals {
  calls: number;
  cost: { total: number };
}

/** Starts `army run` in-process and aborts it (Ctrl-C) once the first subtask is done. */
async function interruptedRun(journal: string, extra: string[] = []) {
  const interrupt = new AbortController();
  const outcome = await army(['run', JOB, '--root', PACKAGES_DIR, '--concurrency', '1', ...extra], {
    env: { HAIKU_ARMY_JOURNAL: journal },
    interrupt: interrupt.signal,
    onStderr: (text) => {
      if (/ done {4}shard-\d+ /.test(text)) interrupt.abort();
    },
  });
  const runId = /Cancelled run (\S+) after/.exec(outcome.stderr)?.[1];
  return { ...outcome, runId: runId! };
}

describe('army resume', () => {
  it('continues a cancelled run from its journal to done: finished subtasks kept, the rest run, one bill', async () => {
    const journal = tempDir('journal');
    const cancelled = await interruptedRun(journal, ['--budget', '3']);
    expect(cancelled.code).toBe(130);
    expect(cancelled.runId).toBeDefined();
    expect(cancelled.stderr).toMatch(
      /Cancelled run \S+ after \d+\.\ds: (\d+) of \d+ subtasks finished, \$\d+\.\d{6} spent\. Continue it with: army resume \S+\n$/,
    );
    // The flags the journal does not keep sit next to it.
    const flags = JSON.parse(
      readFileSync(path.join(journal, cancelled.runId, RUN_FLAGS_FILE), 'utf8'),
    );
    expect(flags).toMatchObject({
      root: PACKAGES_DIR.replace(/\/$/, ''),
      concurrency: 1,
      budget: 3e9,
    });

    const [summary] = await listRuns({ journal });
    expect(summary).toMatchObject({ runId: cancelled.runId, status: 'cancelled' });
    const before = await loadRun(cancelled.runId, { journal });
    const finished = before.subtasks.filter((subtask) => subtask.status === 'done');
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.length).toBeLessThan(before.plan.subtasks.length);

    const resumed = await army(['resume', cancelled.runId, '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(resumed.code).toBe(0);
    expect(resumed.stderrLines[0]).toMatch(/^offline: no ANTHROPIC_API_KEY/);
    expect(resumed.stderrLines[1]).toBe(
      `Resuming run ${cancelled.runId} (cancelled): ${finished.length} of ${before.plan.subtasks.length} subtasks kept, ${before.plan.subtasks.length - finished.length} to run again, then the synthesis.`,
    );
    // The kept subtasks do not start again.
    for (const subtask of finished)
      expect(resumed.stderr).not.toMatch(new RegExp(`start {3}${subtask.id} `));
    const result = JSON.parse(resumed.stdout);
    expect(result.runId).toBe(cancelled.runId);
    expect(result.status).toBe('done');
    expect(result.answer.length).toBeGreaterThan(0);
    expect(result.subtasks.every((subtask: { status: string }) => subtask.status === 'done')).toBe(
      true,
    );
    for (const subtask of finished)
      expect(result.subtasks.find((item: { id: string }) => item.id === subtask.id)).toEqual(
        JSON.parse(JSON.stringify(subtask)),
      );
    // One bill for the whole run: both executions' calls, planner once.
    const tree = result.cost.tree as {
      planner: Totals;
      router: Totals;
      synthesis: Totals;
      subtasks: { totals: Totals }[];
    };
    expect(tree.planner.calls).toBe(1);
    expect(tree.synthesis.calls).toBe(1);
    expect(result.cost.total).toBe(
      tree.planner.cost.total +
        tree.router.cost.total +
        tree.subtasks.reduce((sum, node) => sum + node.totals.cost.total, 0) +
        tree.synthesis.cost.total,
    );
    expect(result.cost.total).toBeGreaterThan(before.cost.total);
    const [after] = await listRuns({ journal });
    expect(after).toMatchObject({
      runId: cancelled.runId,
      status: 'done',
      cost: result.cost.total,
    });

    // Resuming it again runs nothing and starts no API: the journaled bill.
    const again = await army(['resume', cancelled.runId], { env: { HAIKU_ARMY_JOURNAL: journal } });
    expect(again.code).toBe(0);
    expect(again.stderrLines).toEqual([
      `Run ${cancelled.runId} already ended done; nothing runs again. Its bill:`,
    ]);
    expect(again.stdout).toMatch(/^Total /m);
  }, 120_000);

  it('shows the resumed run in the live view with the kept subtasks counted as done', async () => {
    const journal = tempDir('journal');
    const cancelled = await interruptedRun(journal);
    expect(cancelled.code).toBe(130);
    const resumed = await army(['resume', cancelled.runId], {
      env: { HAIKU_ARMY_JOURNAL: journal },
      tty: { columns: 120, rows: 40 },
    });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(
      `Run ${cancelled.runId}, journaled in ${journal} (army resume ${cancelled.runId} continues it).`,
    );
    expect(resumed.stderr).toMatch(/haiku-army {2}run \w{8} {2}offline \(fake API\), resumed/);
    expect(resumed.stderr).toMatch(/subtasks {3}8 · 0 queued · 0 running · 8 done · 0 failed/);
    expect(resumed.stdout).toMatch(/^Total /m);
  }, 120_000);

  it('a run without the CLI’s flags file needs --root; with it, it resumes', async () => {
    const journal = tempDir('journal');
    const cancelled = await interruptedRun(journal);
    rmSync(path.join(journal, cancelled.runId, RUN_FLAGS_FILE));
    const refused = await army(['resume', cancelled.runId], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderrLines).toEqual([
      `army: Run ${cancelled.runId} was not started by \`army run\` (no flags file next to its journal), so its folder is unknown; pass --root DIR, the folder its workers read.`,
    ]);
    // The models and the concurrency come from the journal's options.
    const resumed = await army(['resume', cancelled.runId, '--root', PACKAGES_DIR, '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout);
    expect(result.status).toBe('done');
    expect(
      result.subtasks.every((subtask: { model: string }) => subtask.model === 'claude-haiku-5-5'),
    ).toBe(true);
    expect(existsSync(path.join(journal, cancelled.runId, 'journal.jsonl'))).toBe(true);
  }, 120_000);
});
