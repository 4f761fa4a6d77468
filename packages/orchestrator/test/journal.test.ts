import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmyError, type LedgerEntry } from '@haiku-army/core';
import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createArmy,
  JOURNAL_FORMAT_VERSION,
  listRuns,
  loadRun,
  loadRunSummary,
  type RunRecorder,
} from '../src/index.js';
import { reply, startScripted, subtask, workerByBrief } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'army-journal-'));
  dirs.push(dir);
  return dir;
}

function records(path: string): any[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

const plan = {
  reasoning: 'three parts',
  subtasks: [
    subtask('alpha', 'Describe ALPHA.'),
    subtask('beta', 'Describe BETA.', ['alpha']),
    subtask('gamma', 'Describe GAMMA.'),
  ],
};

function startWorkers() {
  return startScripted({
    worker: workerByBrief({
      ALPHA: 'Alpha is first.',
      BETA: 'Beta follows alpha.',
      GAMMA: () => reply.error({ status: 400, type: 'invalid_request_error', message: 'no gamma' }),
    }),
  });
}

describe('the run journal', () => {
  it('writes a versioned header, the start (no API key), the plan, every ledger entry, each result and the end', async () => {
    fake = await startWorkers();
    const journal = tempDir();
    const army = createArmy({ baseURL: fake.url, apiKey: 'secret-key-123', journal });
    const result = await army.runPlan(plan, { job: 'describe three parts' });
    expect(result.status).toBe('partial');
    const path = join(journal, result.runId, 'journal.jsonl');
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('secret-key-123');
    const lines = records(path);
    expect(lines[0]).toMatchObject({
      type: 'header',
      format: 'haiku-army.run-journal',
      version: JOURNAL_FORMAT_VERSION,
      runId: result.runId,
    });
    expect(lines[1]).toMatchObject({
      type: 'run-start',
      job: 'describe three parts',
      options: { planner: 'claude-opus-5-5', concurrency: 16 },
      spec: { plan: 'given', planRounds: true, synthesize: true },
    });
    expect(lines.filter((line) => line.type === 'plan')).toEqual([
      expect.objectContaining({
        round: 1,
        plan: expect.objectContaining({ reasoning: 'three parts' }),
      }),
    ]);
    // Every billed call, once, and each call's start before its entry.
    const journaled = lines.filter((line) => line.type === 'ledger').map((line) => line.entry.id);
    expect(journaled.sort()).toEqual(
      army.ledger
        .entries({ runId: result.runId })
        .map((entry) => entry.id)
        .sort(),
    );
    const starts = lines.filter((line) => line.type === 'call-start');
    expect(starts.length).toBe(journaled.length + 1); // gamma's rejected call was never billed
    expect(lines.filter((line) => line.type === 'call-end')).toHaveLength(1);
    expect(
      lines
        .filter((line) => line.type === 'subtask')
        .map((line) => line.result.id)
        .sort(),
    ).toEqual(['alpha', 'beta', 'gamma']);
    const end = lines.at(-1);
    expect(end.type).toBe('run-end');
    expect(end.result.status).toBe('partial');
    expect(end.result.timeline).toHaveLength(result.timeline.length);
    expect(await loadRun(result.runId, { journal })).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('serialises a run error as { name, code, message } and loads it back as an ArmyError', async () => {
    fake = await startWorkers();
    const journal = tempDir();
    const army = createArmy({ baseURL: fake.url, apiKey: 'k', journal, budget: { run: 1 } });
    const result = await army.runPlan(plan);
    expect(result.status).toBe('budget_exceeded');
    const end = records(join(journal, result.runId, 'journal.jsonl')).at(-1);
    expect(end.result.error).toEqual({
      name: 'BudgetExceededError',
      code: 'BUDGET_EXCEEDED',
      message: result.error!.message,
    });
    const loaded = await loadRun(result.runId, { journal });
    expect(ArmyError.is(loaded.error, 'BUDGET_EXCEEDED')).toBe(true);
    expect(loaded.error!.name).toBe('BudgetExceededError');
  });

  it('writes nothing with journal: false, and hands a given recorder every record as well as the journal', async () => {
    fake = await startWorkers();
    const journal = tempDir();
    const none = createArmy({ baseURL: fake.url, apiKey: 'k', journal: false });
    const off = await none.runPlan(plan);
    expect(existsSync(join(journal, off.runId))).toBe(false);

    const seen: LedgerEntry[] = [];
    const results: string[] = [];
    const recorder: RunRecorder = {
      ledgerEntry: (entry) => {
        seen.push(entry);
      },
      subtaskFinished: ({ result }) => {
        results.push(result.id);
      },
    };
    const both = createArmy({ baseURL: fake.url, apiKey: 'k', journal, recorder });
    const result = await both.runPlan(plan);
    const lines = records(join(journal, result.runId, 'journal.jsonl'));
    expect(seen.map((entry) => entry.id).sort()).toEqual(
      lines
        .filter((line) => line.type === 'ledger')
        .map((line) => line.entry.id)
        .sort(),
    );
    expect(results.sort()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('defaults to HAIKU_ARMY_JOURNAL (the vitest setup points it at a temporary directory)', async () => {
    fake = await startWorkers();
    const root = process.env.HAIKU_ARMY_JOURNAL!;
    expect(root.startsWith(tmpdir())).toBe(true);
    const result = await createArmy({ baseURL: fake.url, apiKey: 'k' }).runPlan(plan);
    expect(existsSync(join(root, result.runId, 'journal.jsonl'))).toBe(true);
    expect((await loadRun(result.runId)).status).toBe('partial');
  });

  it('refuses a journal directory that cannot be written when the run starts, naming it and the option', async () => {
    fake = await startWorkers();
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'a file, not a directory');
    const army = createArmy({ baseURL: fake.url, apiKey: 'k', journal: join(dir, 'file', 'runs') });
    const error = await army.runPlan(plan).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'JOURNAL_NOT_WRITABLE', kind: 'user' });
    expect((error as Error).message).toContain(join(dir, 'file', 'runs'));
    expect((error as Error).message).toContain('`journal: false`');
    // Nothing was spent: the run never started.
    expect(fake.billing.entries).toHaveLength(0);
  });

  it('rejects a bad journal option at createArmy', () => {
    expect(() => createArmy({ journal: '' })).toThrow(
      /Expected `journal` to be a directory path or false/,
    );
    expect(() => createArmy({ journal: 3 as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});

describe('listRuns and loadRun', () => {
  it('list every run newest first with status, cost and subtask counts, interrupted ones included', async () => {
    fake = await startWorkers();
    const journal = tempDir();
    let clock = 1_000_000;
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      now: () => clock++,
      maxAttempts: 1,
    });
    const first = await army.runPlan(plan, { job: 'first' });
    clock += 10_000;
    const second = await army.runPlan(plan, { job: 'second' });
    // Make the second look killed: drop its end (and a torn half-line in its place).
    const path = join(journal, second.runId, 'journal.jsonl');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const subtaskLines = lines.filter((line) => line.includes('"type":"subtask"'));
    const kept = lines.filter(
      (line) => !line.includes('"type":"run-end"') && line !== subtaskLines.at(-1),
    );
    writeFileSync(path, `${kept.join('\n')}\n{"type":"subtask","resu`);
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };

    const runs = await listRuns({ journal, logger });
    expect(runs.map((run) => run.runId)).toEqual([second.runId, first.runId]);
    expect(runs[1]).toMatchObject({
      job: 'first',
      status: 'partial',
      startedAt: first.startedAt,
      endedAt: first.endedAt,
      cost: first.cost.total,
      mode: 'interactive',
      subtasks: {
        total: 3,
        done: 2,
        partial: 0,
        failed: 1,
        skipped: 0,
        cancelled: 0,
        unfinished: 0,
      },
      dir: join(journal, first.runId),
    });
    expect(runs[1]!.options).toMatchObject({
      planner: 'claude-opus-5-5',
      router: expect.any(String),
    });
    expect(runs[0]).toMatchObject({ status: 'interrupted', cost: second.cost.total });
    expect(runs[0]!.endedAt).toBeUndefined();
    expect(runs[0]!.subtasks.unfinished).toBe(1);
    expect(warnings).toEqual([expect.stringContaining('torn last line')]);
    // One run's summary, from its journal alone, is what the list says of it.
    expect(await loadRunSummary(first.runId, { journal, logger })).toEqual(runs[1]);
    expect(await loadRunSummary(second.runId, { journal, logger })).toEqual(runs[0]);

    const loaded = await loadRun(second.runId, { journal, logger });
    expect(loaded).toMatchObject({ status: 'cancelled', interrupted: true, rounds: 1 });
    expect(loaded.subtasks).toHaveLength(2);
    expect(loaded.plan.subtasks.map((item) => item.id)).toEqual(['alpha', 'beta', 'gamma']);
    expect(loaded.cost.total).toBe(second.cost.total);
    expect(loaded.timeline.map((call) => call.entryId).sort()).toEqual(
      army.ledger
        .entries({ runId: second.runId })
        .map((entry) => entry.id)
        .sort(),
    );
  });

  it('return nothing for a missing directory, and RUN_NOT_FOUND listing the known ids', async () => {
    const empty = join(tempDir(), 'nothing-here');
    expect(await listRuns({ journal: empty })).toEqual([]);
    await expect(loadRunSummary('nope', { journal: empty })).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
    });
    await expect(loadRun('nope', { journal: empty })).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: expect.stringContaining('holds no runs'),
    });
    fake = await startWorkers();
    const journal = tempDir();
    const army = createArmy({ baseURL: fake.url, apiKey: 'k', journal });
    const run = await army.runPlan(plan);
    await expect(loadRun('nope', { journal })).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: expect.stringContaining(`Known runs (newest first): ${run.runId}`),
    });
    await expect(loadRun('../escape', { journal })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  it('refuse a journal of another format version with JOURNAL_INCOMPATIBLE', async () => {
    fake = await startWorkers();
    const journal = tempDir();
    const army = createArmy({ baseURL: fake.url, apiKey: 'k', journal });
    const run = await army.runPlan(plan);
    const path = join(journal, run.runId, 'journal.jsonl');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace(`"version":${JOURNAL_FORMAT_VERSION}`, '"version":999'));
    await expect(loadRun(run.runId, { journal })).rejects.toMatchObject({
      code: 'JOURNAL_INCOMPATIBLE',
      message: expect.stringMatching(/version 999.*reads "haiku-army.run-journal" version 1/),
    });
    await expect(army.resume(run.runId)).rejects.toMatchObject({ code: 'JOURNAL_INCOMPATIBLE' });
    const warnings: string[] = [];
    expect(
      await listRuns({ journal, logger: { warn: (message) => warnings.push(message) } }),
    ).toEqual([]);
    expect(warnings[0]).toContain('version 999');
  });
});
