import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeAnthropicServer, lastUserText, type Responder } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createArmy,
  loadRun,
  type RunRecorder,
  type RunResult,
  resultsKeptOnResume,
  resumeRun,
  type SubtaskResult,
  stoppedByRun,
} from '../src/index.js';
import { reply, sequence, startScripted, subtask, workerByBrief } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'army-resume-'));
  dirs.push(dir);
  return dir;
}

function journalLines(journal: string, runId: string): any[] {
  return readFileSync(join(journal, runId, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** A gate the SLOW worker waits on, so a run can be cancelled with that subtask in flight. */
function gated() {
  let open = false;
  const waiters: (() => void)[] = [];
  const responder: Responder = async () => {
    if (!open) await new Promise<void>((resolve) => waiters.push(resolve));
    return reply.text('Slow is done.');
  };
  return {
    responder,
    open() {
      open = true;
      for (const wake of waiters.splice(0)) wake();
    },
  };
}

/** Worker calls answered per brief keyword, from the fake's transcript. */
function callsFor(keyword: string): number {
  return fake!.transcript
    .messages()
    .filter((request) => !request.output_config && lastUserText(request).includes(keyword)).length;
}

const plan = {
  reasoning: 'four parts',
  subtasks: [
    subtask('one', 'Describe ONE.'),
    subtask('two', 'Describe TWO.', ['one']),
    subtask('slow', 'Describe SLOW.'),
    subtask('after', 'Describe AFTER.', ['slow']),
  ],
};

/** Runs the plan and cancels it once `one` and `two` have finished, with `slow` in flight. */
async function cancelledRun(journal: string, gate: ReturnType<typeof gated>, extra = {}) {
  const army = createArmy({ baseURL: fake!.url, apiKey: 'k', journal, ...extra });
  const controller = new AbortController();
  let finished = 0;
  army.events.on('task:end', () => {
    finished += 1;
    if (finished === 2) controller.abort(new Error('stop'));
  });
  const result = await army.runPlan(plan, {
    job: 'describe four parts',
    signal: controller.signal,
  });
  gate.open();
  return { army, result };
}

function workers(gate: ReturnType<typeof gated>) {
  return workerByBrief({
    ONE: 'One is first.',
    TWO: 'Two follows one.',
    SLOW: gate.responder,
    AFTER: 'After comes last.',
  });
}

describe('resume', () => {
  it('keeps finished subtasks, re-runs the rest, and ends with synthesis under the same run id', async () => {
    const gate = gated();
    fake = await startScripted({ worker: workers(gate) });
    const journal = tempDir();
    const { result: first } = await cancelledRun(journal, gate);
    expect(first.status).toBe('cancelled');
    expect(first.subtasks.map((s) => [s.id, s.status])).toEqual([
      ['one', 'done'],
      ['two', 'done'],
      ['slow', 'cancelled'],
      ['after', 'skipped'], // its dependency was cancelled: it runs again on resume
    ]);
    const spentBefore = first.cost.total;

    // A fresh army (a new process): its ledger knows nothing of the first run.
    const recorded: string[] = [];
    const recorder: RunRecorder = {
      subtaskFinished: ({ result }) => void recorded.push(result.id),
    };
    const handle = resumeRun({
      runId: first.runId,
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      recorder,
    });
    expect(handle.runId).toBe(first.runId);
    const resumed = await handle;
    expect(resumed.runId).toBe(first.runId);
    expect(resumed.status).toBe('done');
    expect(resumed.subtasks.map((s) => [s.id, s.status])).toEqual([
      ['one', 'done'],
      ['two', 'done'],
      ['slow', 'done'],
      ['after', 'done'],
    ]);
    expect(resumed.subtasks[0]).toEqual(first.subtasks[0]);
    expect(recorded.sort()).toEqual(['after', 'slow']);
    expect(resumed.answer).toContain('One is first.');
    expect(resumed.answer).toContain('After comes last.');
    // Finished subtasks were never sent again; the interrupted one ran again.
    expect(callsFor('Describe ONE.')).toBe(1);
    expect(callsFor('Describe TWO.')).toBe(1);
    expect(callsFor('Describe SLOW.')).toBe(2);
    // The cost tree holds both executions' spend; the timeline both executions' calls.
    expect(resumed.cost.total).toBeGreaterThan(spentBefore);
    expect(resumed.cost.tree.subtasks.find((node) => node.id === 'one')!.totals.cost.total).toBe(
      first.subtasks[0]!.cost.total,
    );
    expect(resumed.timeline.filter((call) => call.taskId === 'one')).toHaveLength(1);
    expect(resumed.startedAt).toBe(first.startedAt);
    // The same journal, appended: two starts, two ends.
    const lines = journalLines(journal, first.runId);
    expect(lines.filter((line) => line.type === 'header')).toHaveLength(1);
    expect(lines.filter((line) => line.type === 'run-start').map((line) => !!line.resumed)).toEqual(
      [false, true],
    );
    expect(
      lines.filter((line) => line.type === 'run-end').map((line) => line.result.status),
    ).toEqual(['cancelled', 'done']);
    // Each billed call is journaled once, across both executions.
    const ids = lines.filter((line) => line.type === 'ledger').map((line) => line.entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(resumed.cost.calls);

    // A run that ended on its own: resume runs nothing and returns its result.
    const calls = fake.transcript.messages().length;
    const again = await createArmy({ baseURL: fake.url, apiKey: 'k', journal }).resume(first.runId);
    expect(again).toEqual(JSON.parse(JSON.stringify(resumed)));
    expect(fake.transcript.messages()).toHaveLength(calls);
  });

  it('counts the earlier spend and the calls in flight at a crash against the run cap', async () => {
    const gate = gated();
    fake = await startScripted({ worker: workers(gate) });
    const journal = tempDir();
    const { result: first } = await cancelledRun(journal, gate);
    // As if the process had died with a costly call in flight: its start has no end.
    const inFlight = 1_000_000_000;
    appendFileSync(
      join(journal, first.runId, 'journal.jsonl'),
      `${JSON.stringify({ type: 'call-start', call: 'dead.1', taskId: 'slow', role: 'worker', model: 'claude-haiku-5-5', attempt: 1, worstCase: inFlight, at: Date.now() })}\n`,
    );
    const cap = first.cost.total + inFlight / 2;
    const capped = await resumeRun({
      runId: first.runId,
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      budget: { run: cap },
    });
    expect(capped.status).toBe('budget_exceeded');
    expect(capped.cost.total).toBe(first.cost.total); // refused before sending anything

    // With room for it, the run finishes and the journal's spend still counts.
    const roomy = createArmy({
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      budget: { run: first.cost.total + inFlight + 100_000_000 },
    });
    const statuses: number[] = [];
    roomy.events.on('call:end', () => {
      statuses.push(roomy.gateway.budget!.status('run', first.runId)!.spent);
    });
    const done = await roomy.resume(first.runId);
    expect(done.status).toBe('done');
    expect(statuses[0]).toBeGreaterThan(first.cost.total + inFlight);
  });

  it('resumes a multi-round run without planning its journaled rounds again', async () => {
    const gate = gated();
    fake = await startScripted({
      planner: sequence(
        reply.json({ reasoning: 'survey first', subtasks: [subtask('survey', 'Describe ONE.')] }),
        reply.json({
          done: false,
          reasoning: 'then the slow part',
          subtasks: [
            subtask('deep', 'Describe SLOW.', ['survey']),
            subtask('side', 'Describe TWO.'),
          ],
        }),
        reply.json({ done: true, reasoning: 'answered', subtasks: [] }),
      ),
      worker: workers(gate),
    });
    const journal = tempDir();
    const army = createArmy({ baseURL: fake.url, apiKey: 'k', journal, rounds: 3 });
    const controller = new AbortController();
    army.events.on('task:end', (event) => {
      if (event.taskId === 'side') controller.abort();
    });
    const first = await army.run('survey then dig', { signal: controller.signal });
    gate.open();
    expect(first.status).toBe('cancelled');
    expect(first.rounds).toBe(2);
    const planner = () => fake!.transcript.messages().filter((request) => request.output_config);
    expect(planner()).toHaveLength(2);

    const resumed = await army.resume(first.runId);
    expect(resumed.status).toBe('done');
    expect(resumed.rounds).toBe(2); // round 3's planner answered done
    expect(resumed.plan.reasoning).toBe('survey first');
    expect(resumed.subtasks.map((s) => [s.id, s.round, s.status])).toEqual([
      ['survey', 1, 'done'],
      ['deep', 2, 'done'],
      ['side', 2, 'done'],
    ]);
    // Only round 3's question was new.
    expect(planner()).toHaveLength(3);
    expect(callsFor('Describe TWO.')).toBe(1);
    // Resumed in the same army, whose ledger already held the entries: each is counted once.
    expect(resumed.cost.calls).toBe(
      new Set(resumed.timeline.flatMap((call) => call.entryId ?? [])).size,
    );
    expect(resumed.cost.total).toBe(army.ledger.spent({ runId: first.runId }));
  });

  it('loads a journal whose last line is torn with a warning, and resumes it', async () => {
    const gate = gated();
    fake = await startScripted({ worker: workers(gate) });
    const journal = tempDir();
    const { result: first } = await cancelledRun(journal, gate);
    const path = join(journal, first.runId, 'journal.jsonl');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    // Drop the end, and tear what would have been the next record in half.
    const end = lines.pop()!;
    expect(end).toContain('"run-end"');
    const torn = `${lines.join('\n')}\n${end.slice(0, end.length / 2)}`;
    rmSync(path);
    appendFileSync(path, torn);
    const warnings: string[] = [];
    const resumed = await resumeRun({
      runId: first.runId,
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      logger: { warn: (message) => warnings.push(message) },
    });
    expect(warnings).toEqual([expect.stringContaining('torn last line')]);
    expect(resumed.status).toBe('done');
    expect(callsFor('Describe ONE.')).toBe(1);
    // The resumed records start on a line of their own after the torn one.
    const after = readFileSync(path, 'utf8').split('\n');
    expect(after.filter((line) => line.startsWith('{"type":"run-start"'))).toHaveLength(2);
  });

  it('reads a journal of over a megabyte a line at a time: multi-byte text across reads, a damaged line named', async () => {
    // Summaries of two- to four-byte characters, over 1 MB in all: the reader's 1 MB reads end inside characters.
    let answered = 0;
    const long = () => `answer ${++answered}: ${'é漢🙂'.repeat(300)}`;
    fake = await startScripted({ worker: () => reply.text(long()) });
    const journal = tempDir();
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      summaryTokenCap: 1_000_000,
    });
    const items = Array.from({ length: 400 }, (_, index) => `item ${index}`);
    const result = await army.map(items, (item) => `Describe ${item}, all of it.`);
    expect(result.status, JSON.stringify(result.subtasks.map((s) => s.reason))).toBe('done');
    const path = join(journal, result.runId, 'journal.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(Buffer.byteLength(lines.join('\n'))).toBeGreaterThan(1_500_000);
    // Damage one line in the middle (as a disk fault would), then read it back.
    const damaged = lines.findIndex((line) => line.startsWith('{"type":"ledger"'));
    lines[damaged] = `${lines[damaged]!.slice(0, 40)}#`;
    // And pad a subtask record to several reads' length (JSON allows the whitespace).
    const padded = lines.findIndex((line) => line.startsWith('{"type":"subtask"'));
    lines[padded] = `{${' '.repeat(3_500_000)}${lines[padded]!.slice(1)}`;
    rmSync(path);
    appendFileSync(path, lines.join('\n'));
    const warnings: string[] = [];
    const loaded = await loadRun(result.runId, {
      journal,
      logger: { warn: (message) => warnings.push(message) },
    });
    expect(warnings).toEqual([
      expect.stringContaining(`Skipped line ${damaged + 1} of the journal`),
    ]);
    expect(loaded.subtasks.map((subtask) => subtask.summary)).toEqual(
      result.subtasks.map((subtask) => subtask.summary),
    );
    expect(loaded.subtasks.every((subtask) => subtask.summary.endsWith('🙂'))).toBe(true);
  });

  it('names the problem: an unknown run id (listing the known ones), and an army without a journal', async () => {
    const gate = gated();
    fake = await startScripted({ worker: workers(gate) });
    const journal = tempDir();
    const { result } = await cancelledRun(journal, gate);
    await expect(
      resumeRun({ runId: 'no-such-run', baseURL: fake.url, apiKey: 'k', journal }),
    ).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: expect.stringContaining(`Known runs (newest first): ${result.runId}.`),
    });
    await expect(
      createArmy({ baseURL: fake.url, apiKey: 'k', journal: false }).resume(result.runId),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('journal: false'),
    });
  });
});

describe('what a resume keeps', () => {
  const result = (
    id: string,
    status: SubtaskResult['status'],
    code?: string,
    dependsOn: string[] = [],
  ) => ({ id, status, dependsOn, ...(code ? { code } : {}) }) as SubtaskResult;

  it("keeps results of the subtasks' own work and runs again what the stop imposed", () => {
    const results = [
      result('a', 'done'),
      result('b', 'failed', 'WORKER_FAILED'),
      result('c', 'cancelled', 'ABORTED'),
      result('d', 'skipped', 'BUDGET_EXCEEDED'),
      result('e', 'skipped', 'FAIL_FAST'),
      // Skipped because b failed, which is kept: stays skipped.
      result('f', 'skipped', 'DEPENDENCY_FAILED', ['b']),
      // Skipped because c did not finish, which runs again: runs again too.
      result('g', 'skipped', 'DEPENDENCY_FAILED', ['c']),
      // Skipped because f is skipped (kept): stays skipped, however the list is ordered.
      result('h', 'skipped', 'DEPENDENCY_FAILED', ['f']),
      result('i', 'partial'),
    ];
    expect(results.filter(stoppedByRun).map((one) => one.id)).toEqual(['c', 'd', 'e']);
    expect(resultsKeptOnResume(results).map((one) => one.id)).toEqual(['a', 'b', 'f', 'h', 'i']);
    expect(resultsKeptOnResume([...results].reverse()).map((one) => one.id)).toEqual([
      'i',
      'h',
      'f',
      'b',
      'a',
    ]);
  });
});

describe('ending a run', () => {
  it('a plan still invalid after repair ends the run (journal and recorder) before rejecting', async () => {
    const cyclic = {
      reasoning: 'loop',
      subtasks: [subtask('a', 'Do A.', ['b']), subtask('b', 'Do B.', ['a'])],
    };
    fake = await startScripted({ planner: () => reply.json(cyclic) });
    const journal = tempDir();
    const ended: RunResult[] = [];
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'k',
      journal,
      recorder: { runEnded: (result) => void ended.push(result) },
    });
    const handle = army.run('loop forever');
    await expect(handle).rejects.toMatchObject({ code: 'PLAN_INVALID' });
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({
      status: 'failed',
      error: expect.objectContaining({ code: 'PLAN_INVALID' }),
    });
    expect(ended[0]!.cost.tree.planner.calls).toBe(2);
    const end = journalLines(journal, handle.runId).at(-1);
    expect(end).toMatchObject({
      type: 'run-end',
      result: { status: 'failed', error: { code: 'PLAN_INVALID' } },
    });
  });

  it('tells the synthesizer which subtasks produced no result', async () => {
    fake = await startScripted({
      worker: workerByBrief({
        GOOD: 'Good part found.',
        BAD: () =>
          reply.error({ status: 400, type: 'invalid_request_error', message: 'bad brief' }),
      }),
    });
    const army = createArmy({ baseURL: fake.url, apiKey: 'k', journal: false });
    const result = await army.runPlan({
      reasoning: 'two parts',
      subtasks: [
        subtask('good', 'Find GOOD.'),
        subtask('bad', 'Find BAD.'),
        subtask('later', 'Use BAD.', ['bad']),
      ],
    });
    expect(result.status).toBe('partial');
    const synthesis = fake.transcript
      .messages()
      .find((request) => JSON.stringify(request.system ?? '').includes('synthesizer'))!;
    const text = lastUserText(synthesis);
    expect(text).toContain('[good] Subtask good (done): Good part found.');
    expect(text).toContain('Subtasks with no result');
    expect(text).toMatch(/\[bad\] Subtask bad \(failed, API_REQUEST_REJECTED\)/);
    expect(text).toMatch(/\[later\] Subtask later \(skipped, DEPENDENCY_FAILED\)/);
  });
});
