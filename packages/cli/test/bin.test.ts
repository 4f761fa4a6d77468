import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGES_DIR, tempDir } from './support/harness.js';
import { ArmyProcess } from './support/spawn.js';

const JOB = 'find every place that retries an API call';
const started: ArmyProcess[] = [];

function spawnArmy(argv: string[], env: Record<string, string | undefined> = {}) {
  const child = new ArmyProcess(
    argv,
    { HAIKU_ARMY_JOURNAL: tempDir('journal'), ...env },
    PACKAGES_DIR,
  );
  started.push(child);
  return child;
}

afterEach(() => {
  for (const child of started.splice(0))
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
});

describe('the army binary', () => {
  it('runs offline with --json: one JSON object on stdout, exit 0, and the process ends', async () => {
    const army = spawnArmy(['run', JOB, '--root', '.', '--json']);
    const { code } = await army.exited;
    expect(code).toBe(0);
    const result = JSON.parse(army.stdout);
    expect(result.status).toBe('done');
    expect(result.answer.length).toBeGreaterThan(0);
    expect(army.stderr.split('\n')[0]).toMatch(/^offline: no ANTHROPIC_API_KEY/);
  }, 60_000);

  it('army mock serves the fake API; with a key army run calls it; Ctrl-C cancels cleanly with exit 130', async () => {
    const mock = spawnArmy(['mock', '--port', '0', '--latency', '1500']);
    const [, url] = await mock.waitFor('stdout', /listening on (http:\/\/127\.0\.0\.1:\d+)/);

    const journal = tempDir('journal');
    const run = spawnArmy(['run', JOB, '--root', '.'], {
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: url,
      HAIKU_ARMY_JOURNAL: journal,
    });
    await run.waitFor('stderr', /start {3}shard-\d+/);
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.stderr.split('\n')[0]).toBe(
      `live: ANTHROPIC_API_KEY is set, calling ${url}; every call is billed.`,
    );
    expect(run.stderr).toMatch(/Ctrl-C: cancelling the run/);
    expect(run.stderr).toMatch(
      /Cancelled run (\S+) after \d+\.\ds: \d+ of \d+ subtasks finished, \$\d+\.\d{6} spent\. Continue it with: army resume \1/,
    );
    // What finished is billed: the planner's call at least.
    expect(run.stdout).toMatch(/^Planner +claude-opus-5-5 +1 call +\$0\.\d+/m);
    expect(run.stdout).toMatch(/^Total +\d+ calls? +\$/m);

    mock.child.kill('SIGINT');
    const stopped = await mock.exited;
    expect(stopped.code).toBe(0);
    expect(mock.stderr).toMatch(/Stopped: billed \d+ responses, \$\d+\.\d{6}\./);
  }, 60_000);
});
