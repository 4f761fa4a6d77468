import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRun, type RunResult } from '@haiku-army/orchestrator';
import {
  createDemoResponders,
  type FakeAnthropicServer,
  lastUserText,
  reply,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/durable-run-child.mjs', import.meta.url));
const builtOrchestrator = join(root, 'packages/orchestrator/dist/index.js');
const LATENCY_MS = 120;

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

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-run-'));
  dirs.push(dir);
  return dir;
}

const PART = /Describe (PART-\d+)\./;

/** The fake, in this process (its billing log outlives every child), with a worker that answers by its part. */
function startFake(options: { batchProcessingMs?: number } = {}): Promise<FakeAnthropicServer> {
  const demo = createDemoResponders();
  return startFakeAnthropic({
    ...options,
    latency: { firstByte: LATENCY_MS },
    route: demo.route,
    responders: {
      ...demo.responders,
      worker: (request) => {
        const part = PART.exec(lastUserText(request))?.[1] ?? 'PART-?';
        const n = Number(part.slice(5));
        return reply.text(`${part} holds ${n * n} widgets and ${n % 3} gadgets.`);
      },
    },
  });
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > ms) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Child {
  process: ChildProcess;
  runId: Promise<string>;
  /** Resolves with the run's status, or null when killed. */
  ended: Promise<string | null>;
  stderr: () => string;
}

function startChild(
  journal: string,
  mode: 'start' | 'resume',
  runId: string | undefined,
  settings: Record<string, unknown>,
): Child {
  const spawned = spawn(
    process.execPath,
    [child, fake!.url, journal, mode, runId ?? '-', JSON.stringify(settings)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  processes.push(spawned);
  let stdout = '';
  let stderr = '';
  spawned.stdout!.on('data', (chunk) => {
    stdout += String(chunk);
  });
  spawned.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', resolve));
  const id = (async () => {
    await until(() => /run \S+\n/.test(stdout) || spawned.exitCode !== null, 'the run id');
    const match = /run (\S+)\n/.exec(stdout);
    if (!match) throw new Error(`The child printed no run id; stderr: ${stderr}`);
    return match[1]!;
  })();
  const ended = exited.then((code) => {
    if (code === null) return null;
    const match = /end (\S+)\n/.exec(stdout);
    if (code !== 0 || !match) throw new Error(`The child failed (${code}): ${stderr}`);
    return match[1]!;
  });
  ended.catch(() => {});
  return { process: spawned, runId: id, ended, stderr: () => stderr };
}

/** Complete journal records (a torn line, if any, is left out). */
function journalRecords(journal: string, runId: string): any[] {
  const path = join(journal, runId, 'journal.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

function finishedIds(journal: string, runId: string): Set<string> {
  return new Set(
    journalRecords(journal, runId)
      .filter((record) => record.type === 'subtask')
      .map((record) => record.result.id as string),
  );
}

async function kill(running: Child): Promise<void> {
  running.process.kill('SIGKILL');
  expect(await running.ended).toBe(null);
  // Calls the child had in flight still reach the fake, which bills them: wait until it is idle.
  let seen = -1;
  await until(() => {
    const now = fake!.transcript.entries.filter((entry) => entry.status === undefined).length;
    const stable = now === 0 && seen === fake!.billing.entries.length;
    seen = fake!.billing.entries.length;
    return stable;
  }, 'the fake to finish the killed child’s calls');
  await new Promise((resolve) => setTimeout(resolve, LATENCY_MS * 3));
}

/** The part each billed worker call served, for the calls billed from `from` on. */
function billedParts(from = 0): string[] {
  const requests = new Map(fake!.transcript.entries.map((entry) => [entry.requestId, entry]));
  return fake!.billing.entries.slice(from).flatMap((entry) => {
    const body = requests.get(entry.requestId)?.body as Parameters<typeof lastUserText>[0];
    const part = body ? PART.exec(lastUserText(body))?.[1] : undefined;
    return part ? [part.toLowerCase()] : [];
  });
}

function comparable(result: RunResult) {
  return result.subtasks.map((subtask) => ({
    id: subtask.id,
    status: subtask.status,
    summary: subtask.summary,
    data: subtask.data,
  }));
}

describe('a durable run across SIGKILL and resume in new processes', () => {
  it('ends with every subtask done, as an uninterrupted run, and no finished subtask billed twice (three kills)', async () => {
    expect(
      existsSync(builtOrchestrator),
      'build first: pnpm build (the child runs the built packages)',
    ).toBe(true);
    expect(readFileSync(builtOrchestrator, 'utf8')).toContain('resumeRun');
    fake = await startFake();
    const settings = { parts: 24, concurrency: 3 };

    // The same plan, uninterrupted.
    const baselineJournal = tempDir();
    const baseline = startChild(baselineJournal, 'start', undefined, settings);
    expect(await baseline.ended).toBe('done');
    const expected = await loadRun(await baseline.runId, { journal: baselineJournal });
    expect(expected.subtasks.map((subtask) => subtask.status)).toEqual(Array(24).fill('done'));
    const from = fake.billing.entries.length;

    const journal = tempDir();
    let running = startChild(journal, 'start', undefined, settings);
    const runId = await running.runId;
    const finishedBefore: Set<string>[] = [];
    /** The billing log's length once the calls in flight at each kill were billed. */
    const killedAt: number[] = [];
    let warned = false;
    for (let kills = 0; kills < 3; kills++) {
      const before = finishedIds(journal, runId).size;
      await until(
        () => finishedIds(journal, runId).size >= before + 4 || running.process.exitCode !== null,
        'more subtasks to finish',
      );
      await kill(running);
      const finished = finishedIds(journal, runId);
      expect(finished.size).toBeLessThan(24);
      finishedBefore.push(finished);
      killedAt.push(fake.billing.entries.length);
      if (kills === 1) {
        // As if the kill had torn the record being written.
        appendFileSync(
          join(journal, runId, 'journal.jsonl'),
          '{"type":"subtask","result":{"id":"pa',
        );
        warned = true;
      }
      running = startChild(journal, 'resume', runId, settings);
      expect(await running.runId).toBe(runId);
      if (kills === 1) {
        await until(() => running.stderr().includes('torn last line'), 'the torn-line warning');
      }
    }
    expect(await running.ended).toBe('done');
    expect(warned).toBe(true);

    const warnings: string[] = [];
    const result = await loadRun(runId, {
      journal,
      logger: { warn: (message) => warnings.push(message) },
    });
    expect(warnings).toEqual([expect.stringContaining('not complete JSON')]); // the torn line, now inside
    expect(result.runId).toBe(runId);
    expect(result.status).toBe('done');
    expect(comparable(result)).toEqual(comparable(expected));
    expect(result.answer).toBe(expected.answer);

    const records = journalRecords(journal, runId);
    // No subtask that had finished before a kill was billed again after it.
    for (const [kill, finished] of finishedBefore.entries()) {
      const later = billedParts(killedAt[kill]);
      expect(later.filter((part) => finished.has(part))).toEqual([]);
      expect(later.length).toBeGreaterThan(0);
    }
    // Each subtask's final calls were billed; an interrupted one's earlier calls too.
    const billed = billedParts(from);
    for (const subtask of result.subtasks)
      expect(
        billed.filter((part) => part === subtask.id).length,
        subtask.id,
      ).toBeGreaterThanOrEqual(subtask.calls);
    // Every journaled call was billed; the only calls billed and not journaled were in flight at a kill.
    const entries = records.filter((record) => record.type === 'ledger');
    const runBilling = fake.billing.entries.length - from;
    expect(entries.length).toBeLessThanOrEqual(runBilling);
    expect(runBilling - entries.length).toBeLessThanOrEqual(3 * settings.concurrency);
    expect(result.cost.calls).toBe(entries.length);
    expect(records.filter((record) => record.type === 'header')).toHaveLength(1);
    expect(records.filter((record) => record.type === 'run-start')).toHaveLength(4);
    expect(records.filter((record) => record.type === 'run-end')).toHaveLength(1);
  }, 240_000);

  it('holds a run cap across a SIGKILL at 70% of it: the resumed run never spends more than the cap in total', async () => {
    expect(existsSync(builtOrchestrator), 'build first: pnpm build').toBe(true);
    fake = await startFake();
    const parts = 24;
    // The full cost of the plan, uninterrupted.
    const fullJournal = tempDir();
    const full = startChild(fullJournal, 'start', undefined, { parts, concurrency: 3 });
    expect(await full.ended).toBe('done');
    const fullCost = (await loadRun(await full.runId, { journal: fullJournal })).cost.total;
    const from = fake.billing.entries.length;

    const cap = Math.floor(fullCost * 0.8);
    const settings = { parts, concurrency: 3, budget: cap };
    const journal = tempDir();
    const running = startChild(journal, 'start', undefined, settings);
    const runId = await running.runId;
    const journaledSpend = () =>
      journalRecords(journal, runId)
        .filter((record) => record.type === 'ledger')
        .reduce((sum, record) => sum + (record.entry.cost.total as number), 0);
    await until(
      () => journaledSpend() >= cap * 0.7 || running.process.exitCode !== null,
      'the run to spend 70% of its cap',
    );
    await kill(running);
    const spentAtKill = journaledSpend();
    const spentAtKillIds = new Set(
      journalRecords(journal, runId)
        .filter((record) => record.type === 'subtask' && record.result.status === 'done')
        .map((record) => record.result.id as string),
    );
    expect(spentAtKill).toBeGreaterThanOrEqual(cap * 0.7);
    expect(spentAtKill).toBeLessThanOrEqual(cap);

    const resumed = startChild(journal, 'resume', runId, settings);
    expect(await resumed.ended).toBe('budget_exceeded');
    const billed = fake.billing.entries
      .slice(from)
      .reduce((sum, entry) => sum + entry.cost.total, 0);
    // Everything the API billed for the run, the calls in flight at the kill included, fits the cap.
    expect(billed).toBeLessThanOrEqual(cap);
    const result = await loadRun(runId, { journal });
    expect(result.status).toBe('budget_exceeded');
    expect(result.cost.total).toBeLessThanOrEqual(cap);
    // The calls in flight at the kill count at their worst case (what they billed is unknowable
    // from the client), so the resume may find no room left: it stops instead of passing the cap.
    expect(result.cost.total).toBeGreaterThanOrEqual(spentAtKill);
    // What finished before the kill is kept.
    expect(spentAtKillIds.size).toBeGreaterThan(0);
    for (const id of spentAtKillIds)
      expect(result.subtasks.find((subtask) => subtask.id === id)?.status).toBe('done');
  }, 240_000);

  it('batch mode: a run killed while its batch is processed reattaches to it on resume, never resubmitting', async () => {
    expect(existsSync(builtOrchestrator), 'build first: pnpm build').toBe(true);
    fake = await startFake({ batchProcessingMs: 2_500 });
    const settings = { parts: 24, concurrency: 3, mode: 'batch' };
    const journal = tempDir();
    const running = startChild(journal, 'start', undefined, settings);
    const runId = await running.runId;
    const batchRecords = () => journalRecords(journal, runId).filter((r) => r.type === 'batch');
    await until(() => batchRecords().length >= 1, 'the first batch to be journaled');
    await kill(running);
    const createdIds = () =>
      fake!.transcript.entries
        .filter((entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches')
        .map((entry) =>
          ((entry.body as { requests: { custom_id: string }[] }).requests ?? []).map(
            (item) => item.custom_id,
          ),
        );
    const beforeResume = createdIds();
    expect(beforeResume.length).toBeGreaterThanOrEqual(1);
    const submittedBeforeKill = new Set(batchRecords().flatMap((record) => record.customIds));

    const resumed = startChild(journal, 'resume', runId, settings);
    expect(await resumed.ended).toBe('done');
    const result = await loadRun(runId, { journal });
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.status)).toEqual(Array(24).fill('done'));
    // The batches submitted before the kill were reattached, never sent again: no custom id
    // (subtask, attempt, turn) was ever submitted twice.
    const all = createdIds().flat();
    expect(new Set(all).size).toBe(all.length);
    const afterResume = createdIds().slice(beforeResume.length).flat();
    expect(afterResume.filter((id) => submittedBeforeKill.has(id))).toEqual([]);
    expect(afterResume.length).toBeGreaterThan(0);
    // Billed once each: 24 batch-priced worker calls and the synthesis.
    const billing = fake.billing.entries;
    expect(billing).toHaveLength(25);
    expect(billing.filter((entry) => entry.usage.service_tier === 'batch')).toHaveLength(24);
    expect(result.cost.total).toBe(billing.reduce((sum, entry) => sum + entry.cost.total, 0));
    expect(result.cost.batchSaving).toBeGreaterThan(0);
  }, 240_000);
});
