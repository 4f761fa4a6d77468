import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CostLedger, JsonlLedgerStore } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';

// A child process records ledger entries as fast as it can until it is killed.
const writer = `
  const { CostLedger, JsonlLedgerStore } = await import('@haiku-army/core');
  const ledger = new CostLedger({ store: new JsonlLedgerStore({ path: process.argv[1] }) });
  const tags = ['x'.repeat(2000)];
  for (let index = 0; ; index++) {
    ledger.record({ attribution: { runId: 'crash', taskId: 't' + index, role: 'worker', tags }, model: 'claude-haiku-5-5', usage: { input_tokens: 1000 + index, output_tokens: 10 } });
    if (index === 200) process.stdout.write('ready\\n');
  }
`;

describe('the JSONL ledger store survives a killed process', () => {
  it('loads every entry written before SIGKILL, in order, with none missing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ledger-crash-')), 'ledger.jsonl');
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer, path], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const text = readFileSync(path, 'utf8');
    const whole = text
      .split('\n')
      .filter(
        (line, index, lines) =>
          line.length > 0 && (index < lines.length - 1 || text.endsWith('\n')),
      );
    const warnings: string[] = [];
    const ledger = await new CostLedger({
      store: new JsonlLedgerStore({ path, logger: { warn: (message) => warnings.push(message) } }),
    }).load();
    const complete = whole.filter((line) => {
      try {
        JSON.parse(line);
        return true;
      } catch {
        return false;
      }
    });
    expect(complete.length).toBeGreaterThan(200);
    expect(ledger.entries()).toHaveLength(complete.length);
    // Entries are in order with none missing before the tear.
    expect(ledger.entries().map((entry) => entry.taskId)).toEqual(
      complete.map((_, index) => `t${index}`),
    );
    // One write per entry: a kill lands between writes, so at most a torn
    // tail (covered byte for byte in packages/core/test/ledger.test.ts) is skipped.
    expect(warnings.length).toBeLessThanOrEqual(1);
  });
});
