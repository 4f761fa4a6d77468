import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRun } from '@haiku-army/orchestrator';
import { beforeAll, describe, expect, it } from 'vitest';
import { money } from '../src/view/format.js';
import { army, PACKAGES_DIR, tempDir } from './support/harness.js';

const JOB = 'find every place that retries an API call';
const OTHER_JOB = 'find every TODO comment';

interface RunJson {
  runId: string;
  status: string;
  cost: { total: number; calls: number };
  subtasks: { id: string; status: string; cost: { total: number } }[];
  cacheHitRate: number;
  baseline: { savings: number };
}

/** Two runs journaled in one folder, the second started after the first ended. */
let journal: string;
let first: RunJson;
let second: RunJson;
beforeAll(async () => {
  journal = tempDir('journal');
  const env = { HAIKU_ARMY_JOURNAL: journal };
  const a = await army(['run', JOB, '--root', PACKAGES_DIR, '--json'], { env });
  expect(a.code).toBe(0);
  first = JSON.parse(a.stdout);
  const b = await army(['run', OTHER_JOB, '--root', PACKAGES_DIR, '--json', '--batch'], { env });
  expect(b.code).toBe(0);
  second = JSON.parse(b.stdout);
}, 120_000);

describe('army runs', () => {
  it('lists the journal’s runs newest first: id, status, start, duration, cost, subtasks, mode', async () => {
    const { code, stdout, stderr } = await army(['runs', '--journal', journal]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const rows = stdout.split('\n').filter((line) => /^│ [0-9a-f-]{36} │/.test(line));
    expect(rows).toHaveLength(2);
    const cells = rows.map((row) =>
      row
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
    expect(cells.map((row) => row[0])).toEqual([second.runId, first.runId]);
    const [newer, older] = cells as string[][];
    expect(newer![1]).toBe('done');
    expect(newer![2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(newer![3]).toMatch(/^\d+\.\ds$/);
    expect(newer![4]).toBe(money(second.cost.total));
    expect(newer![5]).toBe(`${second.subtasks.length}/${second.subtasks.length}`);
    expect(newer![6]).toBe('batch');
    expect(newer![7]).toBe(OTHER_JOB);
    expect(older![4]).toBe(money(first.cost.total));
    expect(older![6]).toBe('interactive');
    expect(stdout).toMatch(new RegExp(`^2 runs in ${journal.replaceAll('/', '\\/')}\\.`, 'm'));
  });

  it('--json prints { journal, runs } with the RunSummary of each, newest first', async () => {
    const { code, stdout } = await army(['runs', '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(code).toBe(0);
    const listed = JSON.parse(stdout);
    expect(listed.journal).toBe(journal);
    expect(listed.runs.map((run: { runId: string }) => run.runId)).toEqual([
      second.runId,
      first.runId,
    ]);
    expect(listed.runs[1]).toMatchObject({
      status: 'done',
      job: JOB,
      cost: first.cost.total,
      mode: 'interactive',
      subtasks: { total: first.subtasks.length, done: first.subtasks.length, unfinished: 0 },
    });
    expect(listed.runs[1].endedAt).toBeGreaterThanOrEqual(listed.runs[1].startedAt);
  });

  it('an empty or missing journal: one clear line, exit 0', async () => {
    const empty = path.join(tempDir('empty'), 'runs');
    const { code, stdout, stderr } = await army(['runs', '--journal', empty]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(
      `No runs journaled in ${empty} yet; \`army run "<job>" --root DIR\` journals one there (or pass --journal DIR).\n`,
    );
  });
});

describe('army report', () => {
  it('prints the run’s bill from the journal: its totals are run --json’s, to the nano-USD', async () => {
    const { code, stdout } = await army(['report', first.runId, '--journal', journal]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(`Run ${first.runId}: done`);
    expect(stdout).toMatch(new RegExp(`^Job: ${JOB}$`, 'm'));
    expect(stdout).toMatch(/^Answer:\nCombined findings from \d+ subtasks/m);
    const total = /^Total +(\d+) calls +(\$\d+\.\d{6})$/m.exec(stdout);
    expect(total).not.toBeNull();
    expect(Number(total![1])).toBe(first.cost.calls);
    expect(total![2]).toBe(money(first.cost.total));
    for (const subtask of first.subtasks)
      expect(stdout).toMatch(
        new RegExp(`│ ${subtask.id} +│ ${subtask.status} +│.*│ +\\${money(subtask.cost.total)} │`),
      );
    expect(stdout).toContain(
      `Cache hit rate: ${(first.cacheHitRate * 100).toFixed(1)}% of input tokens`,
    );
    expect(stdout).toContain(`Saving vs the planner alone: ${money(first.baseline.savings)} (`);
    // The bill is the one `army run` prints.
    const run = await army(['run', JOB, '--root', PACKAGES_DIR], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    const runId = /^Run (\S+) done in/m.exec(run.stderr)![1]!;
    const report = await army(['report', runId, '--journal', journal]);
    expect(report.stdout.endsWith(run.stdout)).toBe(true);
  });

  it('--json prints the journaled RunResult, equal to run --json’s', async () => {
    const { code, stdout } = await army(['report', second.runId, '--json', '--journal', journal]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(second);
  });

  it('--html writes one self-contained file with no http(s) URL, whose totals are the journal’s', async () => {
    const file = path.join(tempDir('html'), 'run.html');
    const { code, stdout, stderrLines } = await army([
      'report',
      first.runId,
      '--html',
      file,
      '--journal',
      journal,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Total /m);
    expect(stderrLines).toEqual([
      `Wrote the HTML report of run ${first.runId} to ${file} (one self-contained file; it opens offline).`,
    ]);
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');
    expect(html.match(/https?:\/\/[^\s"'<>)]*/gi) ?? []).toEqual([]);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    const journaled = await loadRun(first.runId, { journal });
    expect(journaled.cost.total).toBe(first.cost.total);
    const shownTotal =
      /data-role="total"[^>]*data-nano-usd="(\d+)"|data-nano-usd="(\d+)"[^>]*data-role="total"/.exec(
        html,
      );
    expect(shownTotal).not.toBeNull();
    expect(Number(shownTotal![1] ?? shownTotal![2])).toBe(journaled.cost.total);
    expect(html).toContain(JOB);
  });

  it('an unknown run id: one line naming it and the known ids, exit 2 (RUN_NOT_FOUND)', async () => {
    for (const command of ['report', 'resume']) {
      const { code, stdout, stderrLines } = await army([command, 'no-such-run'], {
        env: { HAIKU_ARMY_JOURNAL: journal },
      });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderrLines).toHaveLength(1);
      expect(stderrLines[0]).toMatch(
        new RegExp(
          `^army: No run "no-such-run" in the journal ${journal}\\. Known runs \\(newest first\\): `,
        ),
      );
      expect(stderrLines[0]).toContain(first.runId);
      expect(stderrLines[0]).toContain(second.runId);
    }
    const json = await army(['report', 'no-such-run', '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});
