import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { army, PACKAGES_DIR, tempDir } from './support/harness.js';

const JOB = 'find every place that retries an API call';

/** Exactly one line on stderr, naming what was wrong; nothing on stdout. */
async function fails(argv: string[], code: number, pattern: RegExp) {
  const outcome = await army(argv);
  expect(outcome.code).toBe(code);
  expect(outcome.stderrLines).toHaveLength(1);
  expect(outcome.stderrLines[0]).toMatch(/^army: /);
  expect(outcome.stderrLines[0]).toMatch(pattern);
  expect(outcome.stdout).toBe('');
  return outcome;
}

describe('army errors: one line, non-zero exit', () => {
  it('an unknown flag', async () => {
    await fails(['run', JOB, '--root', '.', '--rooot', 'x'], 2, /unknown option '--rooot'.*--help/);
  });

  it('an unknown command, with a suggestion', async () => {
    await fails(['rnu', JOB], 2, /unknown command 'rnu'.*Did you mean run\?.*army --help/);
  });

  it('an unknown model lists the known ones', async () => {
    await fails(
      ['run', JOB, '--root', PACKAGES_DIR, '--planner', 'claude-opus-9'],
      2,
      /claude-opus-9.*claude-haiku-5-5/,
    );
    await fails(
      ['estimate', JOB, '--root', PACKAGES_DIR, '--workers', 'gpt'],
      2,
      /"gpt".*claude-sonnet-5-5/,
    );
  });

  it('a missing or wrong --root', async () => {
    await fails(['run', JOB], 2, /Missing --root: pass the folder the workers may read/);
    await fails(
      ['estimate', JOB, '--root', 'no-such-dir'],
      2,
      /--root "no-such-dir" is not a directory/,
    );
  });

  it('bad numbers', async () => {
    await fails(
      ['run', JOB, '--root', '.', '--concurrency', '0'],
      2,
      /--concurrency.*'0' is invalid\. Expected an integer >= 1/,
    );
    await fails(
      ['run', JOB, '--root', '.', '--rounds', '1.5'],
      2,
      /--rounds.*Expected an integer >= 1/,
    );
    await fails(
      ['run', JOB, '--root', '.', '--budget', 'lots'],
      2,
      /--budget.*Expected a dollar amount above zero/,
    );
    await fails(['mock', '--port', '70000'], 2, /--port.*Expected an integer from 0 to 65535/);
    await fails(['mock', '--fault-rate', '2'], 2, /--fault-rate.*Expected a number from 0 to 1/);
  });

  it('an --out that is a file', async () => {
    const file = path.join(tempDir('out'), 'taken');
    writeFileSync(file, 'x');
    await fails(
      ['run', JOB, '--root', PACKAGES_DIR, '--out', file],
      2,
      /`outDir` to be a directory/,
    );
  });

  it('a budget below the planner call’s reservation: the bill is skipped, the last line says what to raise it to', async () => {
    const { code, stdout, stderrLines } = await army([
      'run',
      JOB,
      '--root',
      PACKAGES_DIR,
      '--budget',
      '0.0001',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderrLines.at(-1)).toMatch(
      /^army: --budget \$0\.000100 is below the first call's reservation: the planner call needs at least \$\d+\.\d{6} .*raise --budget to at least \$\d+\.\d{6}/,
    );
    expect(stderrLines.filter((line) => line.startsWith('army: '))).toHaveLength(1);
  });

  it('with --json an error is also one JSON object on stdout', async () => {
    const { code, stdout } = await army([
      'run',
      JOB,
      '--root',
      PACKAGES_DIR,
      '--planner',
      'nope',
      '--json',
    ]);
    expect(code).toBe(2);
    const { error } = JSON.parse(stdout);
    expect(error).toMatchObject({ name: 'ArmyError', code: 'UNKNOWN_MODEL' });
    expect(error.message).toMatch(/nope/);
  });
});
