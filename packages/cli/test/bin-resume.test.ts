import { existsSync } from 'node:fs';
import path from 'node:path';
import { listRuns, loadRun } from '@haiku-army/orchestrator';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGES_DIR, tempDir } from './support/harness.js';
import { ArmyProcess } from './support/spawn.js';

// Ctrl-C and a kill with the real binary, offline: the first run goes to a
// local `army mock` whose every response takes a while (so the run is still
// going when it is stopped), the resume to the embedded fake (no key).
const JOB = 'find every place that retries an API call';
const started: ArmyProcess[] = [];

function spawnArmy(argv: string[], env: Record<string, string | undefined>, cwd = PACKAGES_DIR) {
  const child = new ArmyProcess(argv, env, cwd);
  started.push(child);
  return child;
}

afterEach(async () => {
  for (const child of started.splice(0))
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
});

/** A slow local fake API; returns its URL. */
async function slowMock(): Promise<string> {
  const mock = spawnArmy(['mock', '--port', '0', '--latency', '1000'], {});
  const [, url] = await mock.waitFor('stdout', /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return url!;
}

/** `army run` against the slow mock, one worker at a time, stopped with `signal` once a subtask is done. */
async function stoppedRun(signal: NodeJS.Signals, journal: string) {
  const url = await slowMock();
  const run = spawnArmy(['run', JOB, '--root', '.', '--concurrency', '1', '--journal', journal], {
    ANTHROPIC_API_KEY: 'test-key',
    ANTHROPIC_BASE_URL: url,
    HAIKU_ARMY_JOURNAL: undefined,
  });
  const [, runId] = await run.waitFor('stderr', /run (\S+) started: /);
  const [, doneId] = await run.waitFor('stderr', / done {4}(shard-\d+) on /);
  run.child.kill(signal);
  const exit = await run.exited;
  return { run, exit, runId: runId!, doneId: doneId! };
}

/** `army resume <id>` offline; resolves with the process once it ended. */
async function resume(runId: string, journal: string, extra: string[] = []) {
  const child = spawnArmy(['resume', runId, '--journal', journal, ...extra], {});
  const exit = await child.exited;
  return { child, exit };
}

describe('the army binary: stop a run, then army resume it', () => {
  it('Ctrl-C cancels cleanly (what finished and what it cost, exit 130); army resume continues it to done', async () => {
    const journal = tempDir('journal');
    const { run, exit, runId, doneId } = await stoppedRun('SIGINT', journal);
    expect(exit.code).toBe(130);
    expect(run.stderr).toMatch(/Ctrl-C: cancelling the run, keeping what finished/);
    const cancelled = new RegExp(
      `Cancelled run ${runId} after \\d+\\.\\ds: (\\d+) of (\\d+) subtasks finished, (\\$\\d+\\.\\d{6}) spent\\. Continue it with: army resume ${runId} --journal "${journal}"`,
    ).exec(run.stderr);
    expect(cancelled, run.stderr).not.toBeNull();
    const [, finished, total, spent] = cancelled!;
    expect(Number(finished)).toBeGreaterThanOrEqual(1);
    expect(Number(finished)).toBeLessThan(Number(total));
    // What finished, and what the run cost, on stdout.
    expect(run.stdout).toMatch(new RegExp(`│ ${doneId} +│ done +│ claude-haiku-5-5 │`));
    expect(run.stdout).toMatch(new RegExp(`^Total +\\d+ calls +\\${spent}$`, 'm'));

    // The journal holds it (`--journal` honoured), cancelled.
    const [summary] = await listRuns({ journal });
    expect(summary).toMatchObject({ runId, status: 'cancelled' });
    expect(summary!.subtasks.done).toBe(Number(finished));

    const listed = spawnArmy(['runs', '--journal', journal], {});
    await listed.exited;
    expect(listed.stdout).toMatch(new RegExp(`│ ${runId} │ cancelled │`));

    const resumed = await resume(runId, journal);
    expect(resumed.exit.code, resumed.child.stderr).toBe(0);
    expect(resumed.child.stderr).toMatch(/^offline: no ANTHROPIC_API_KEY/);
    expect(resumed.child.stderr).toContain(
      `Resuming run ${runId} (cancelled): ${finished} of ${total} subtasks kept`,
    );
    expect(resumed.child.stderr).not.toMatch(new RegExp(`start {3}${doneId} `));
    expect(resumed.child.stderr).toMatch(new RegExp(`Run ${runId} done in \\d+\\.\\ds`));
    expect(resumed.child.stdout).toMatch(/^Answer:\nCombined findings from \d+ subtasks/);
    const result = await loadRun(runId, { journal });
    expect(result.status).toBe('done');
    expect(result.subtasks).toHaveLength(Number(total));
    expect(resumed.child.stdout).toMatch(
      new RegExp(
        `^Total +${result.cost.calls} calls +\\$${(result.cost.total / 1e9).toFixed(6)}$`,
        'm',
      ),
    );
  }, 120_000);

  it('a killed run (SIGKILL) is listed as interrupted and army resume finishes it', async () => {
    const journal = tempDir('journal');
    const { exit, runId, doneId } = await stoppedRun('SIGKILL', journal);
    expect(exit.signal).toBe('SIGKILL');
    const [summary] = await listRuns({ journal });
    expect(summary).toMatchObject({ runId, status: 'interrupted' });
    const report = spawnArmy(['report', runId, '--journal', journal], {});
    await report.exited;
    expect(report.stdout.split('\n')[0]).toBe(
      `Run ${runId}: interrupted (its process never ended it)`,
    );
    const resumed = await resume(runId, journal, ['--json']);
    expect(resumed.exit.code, resumed.child.stderr).toBe(0);
    const result = JSON.parse(resumed.child.stdout);
    expect(result.status).toBe('done');
    // The subtask that finished before the kill was not billed again.
    const kept = result.subtasks.find((subtask: { id: string }) => subtask.id === doneId);
    expect(kept.status).toBe('done');
    expect(resumed.child.stderr).not.toMatch(new RegExp(`start {3}${doneId} `));
  }, 120_000);

  it('army run journals under .army/runs of the working directory by default and prints the run id', async () => {
    const cwd = tempDir('cwd');
    const run = spawnArmy(
      ['run', JOB, '--root', PACKAGES_DIR],
      { HAIKU_ARMY_JOURNAL: undefined },
      cwd,
    );
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    const [, runId] = /^Run (\S+) done in \d+\.\ds, \$\d+\.\d{6}\. Report: army report \1$/m.exec(
      run.stderr,
    )!;
    expect(existsSync(path.join(cwd, '.army', 'runs', runId!, 'journal.jsonl'))).toBe(true);
    const report = spawnArmy(['report', runId!], { HAIKU_ARMY_JOURNAL: undefined }, cwd);
    expect((await report.exited).code).toBe(0);
    expect(report.stdout).toMatch(new RegExp(`^Run ${runId}: done$`, 'm'));
  }, 120_000);
});
