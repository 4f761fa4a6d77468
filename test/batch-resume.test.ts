import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import {
  type Attribution,
  type BatchSubmission,
  Budget,
  CostLedger,
  costOf,
  createGateway,
  usd,
} from '@haiku-army/core';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/batch-submit-child.mjs', import.meta.url));
const builtCore = join(root, 'packages/core/dist/index.js');

let fake: FakeAnthropicServer | undefined;
let processes: ChildProcess[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const spawned of processes) if (spawned.exitCode === null) spawned.kill('SIGKILL');
  processes = [];
  await fake?.close();
  fake = undefined;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 20_000) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('resumeBatch after the submitting process was killed', () => {
  it('collects every result in a new process with no second submission', async () => {
    // The child runs the built package (no TypeScript loader in a plain node child).
    expect(existsSync(builtCore), 'build core first: pnpm --filter @haiku-army/core build').toBe(
      true,
    );
    expect(readFileSync(builtCore, 'utf8')).toContain('resumeBatch');
    // The fake lives here, so its billing log and transcript outlive the child.
    // Its clock only moves when the test says: batches end after the kill.
    let clock = Date.parse('2026-12-01T12:00:00Z');
    fake = await startFakeAnthropic({ now: () => clock, batchProcessingMs: 1_000 });
    const outDir = mkdtempSync(join(tmpdir(), 'batch-resume-'));
    dirs.push(outDir);

    const spawned = spawn(process.execPath, [child, fake.url, outDir, '40', '25'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    processes.push(spawned);
    let stderr = '';
    spawned.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const submissions = () => readdirSync(outDir).filter((name) => name.endsWith('.json'));
    await until(() => submissions().length === 2 || spawned.exitCode !== null, 'two submissions');
    expect(stderr).toBe('');
    // Let it poll at least once more, then kill it mid-wait.
    const polls = () =>
      fake!.transcript.entries.filter(
        (entry) => entry.method === 'GET' && /batches\/[^/]+$/.test(entry.path),
      ).length;
    await until(() => polls() >= 2, 'the child to poll');
    const exited = new Promise((resolve) => spawned.once('exit', resolve));
    spawned.kill('SIGKILL');
    expect(await exited).toBe(null);
    expect(existsSync(join(outDir, 'finished'))).toBe(false);
    expect(fake.billing.entries).toHaveLength(0);

    clock += 1_000; // the batches end now
    const persisted = submissions().map(
      (name) => JSON.parse(readFileSync(join(outDir, name), 'utf8')) as BatchSubmission,
    );
    const ledger = new CostLedger();
    const budget = new Budget({ limits: { run: usd(1) } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      ledger,
      budget,
    });
    let outcomes = 0;
    for (const submission of persisted) {
      const attributions: Record<string, Attribution> = submission.attributions;
      const result = await gateway.resumeBatch(submission.batchId, attributions, {
        pollIntervalMs: 5,
      }).result;
      expect(result.counts.succeeded).toBe(submission.customIds.length);
      outcomes += result.outcomes.length;
    }

    expect(outcomes).toBe(40);
    const creates = fake.transcript.entries.filter(
      (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
    );
    expect(creates).toHaveLength(2);
    expect(fake.billing.entries).toHaveLength(40);
    expect(ledger.entries()).toHaveLength(40);
    expect(new Set(ledger.entries().map((entry) => entry.taskId)).size).toBe(40);
    const billed = fake.billing.total();
    expect(ledger.spent()).toBe(billed);
    expect(
      fake.billing.entries.reduce(
        (sum, entry) => sum + costOf(entry.model, { ...entry.usage, service_tier: 'batch' }).total,
        0,
      ),
    ).toBe(billed);
    // Collected without a reservation in this process: charged all the same.
    expect(budget.status('run', 'run-resume')).toMatchObject({ spent: billed, reserved: 0 });
  });
});
