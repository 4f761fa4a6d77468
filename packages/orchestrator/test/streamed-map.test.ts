import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeAnthropicServer, toolExchanges } from '@haiku-army/testing';
import { defineTool } from '@haiku-army/worker';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  type ArmyOptions,
  createArmy,
  loadKeptOnResume,
  loadRun,
  loadRunSummary,
  PlanInvalidError,
  resumeRun,
} from '../src/index.js';
import { readJournal } from '../src/journal/read-journal.js';
import { reply, startScripted } from './support/scripted.js';

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > ms) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let fake: FakeAnthropicServer | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function journalDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'streamed-map-'));
  dirs.push(dir);
  return dir;
}

const echoWorker = () =>
  startScripted(
    {
      worker: (request) => {
        const word = /Echo (\S+)\./.exec(JSON.stringify(request.messages[0]))![1]!;
        return reply.toolUse('submit_result', { status: 'done', summary: `Echoed ${word}.` });
      },
    },
    { batchProcessingMs: 10 },
  );

async function* words(count: number, pulled?: number[]): AsyncGenerator<string> {
  for (let index = 0; index < count; index++) {
    pulled?.push(index);
    yield `w${index}`;
  }
}

/** An army on the fake that polls its batches every 10 ms. */
function batchArmy(journal: string | false, options: Omit<ArmyOptions, 'journal'> = {}) {
  return createArmy({
    baseURL: fake!.url,
    apiKey: 'test-key',
    journal,
    batchPollIntervalMs: 10,
    ...options,
  });
}

function records(journal: string, runId: string): any[] {
  return readFileSync(join(journal, runId, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/**
 * The batches a run created, in order: each create is journaled (with its
 * ids) before it is sent, and its batch record after it names the create.
 */
function createdBatches(journal: string, runId: string): any[] {
  const all = records(journal, runId);
  const creates = all.filter((record) => record.type === 'batch-creating');
  const links = all.filter((record) => record.type === 'batch');
  expect(links.map((link) => link.intent)).toEqual(creates.map((create) => create.intent));
  expect(
    links.every((link) => link.customIds === undefined && /^msgbatch_/.test(link.batchId)),
  ).toBe(true);
  for (const [index, create] of creates.entries())
    expect(all.indexOf(create)).toBeLessThan(all.indexOf(links[index]));
  return creates;
}

describe('army.map over an iterable (streamed)', () => {
  it('reads, journals and batches the items a chunk at a time, and returns compact results', async () => {
    fake = await echoWorker();
    const journal = journalDir();
    const army = batchArmy(journal);
    const pulled: number[] = [];
    const handle = army.map(words(7, pulled), (word) => `Echo ${word}.`, {
      mode: 'batch',
      chunkSize: 3,
    });
    const result = await handle;
    expect(result.status).toBe('done');
    expect(result.streamed).toBe(true);
    expect(pulled).toHaveLength(7);
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 7 }, (_, index) => `Echoed w${index}.`),
    );
    expect(result.subtasks[0]).toMatchObject({ id: 'item-1', attempts: [], title: '' });
    expect(result.plan.subtasks).toEqual([]);
    const chunks = records(journal, handle.runId).filter((record) => record.type === 'chunk');
    expect(chunks.map(({ index, from, count, end }) => ({ index, from, count, end }))).toEqual([
      { index: 0, from: 0, count: 3, end: false },
      { index: 1, from: 3, count: 3, end: false },
      { index: 2, from: 6, count: 1, end: true },
    ]);
    // One batch per chunk, each submitted after the one before had ended.
    const batches = createdBatches(journal, handle.runId);
    expect(batches.map((batch) => batch.customIds.length)).toEqual([3, 3, 1]);
    expect(batches.every((batch) => Object.keys(batch.requests).length === 0)).toBe(true);
    const total = result.subtasks.reduce((sum, subtask) => sum + subtask.cost.total, 0);
    expect(result.cost.total).toBe(total);
    expect(result.cost.total).toBe(fake.billing.total());
    // loadRun rebuilds the subtasks the run-end line leaves out.
    const loaded = await loadRun(handle.runId, { journal });
    expect(loaded.subtasks.map((subtask) => subtask.id)).toEqual(
      result.subtasks.map((subtask) => subtask.id),
    );
  });

  it('checks items as they are read: an invalid one stops the run before its chunk runs', async () => {
    fake = await echoWorker();
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', journal: false });
    const ids = ['a', 'b', 'c', 'd', 'bad id'];
    const error = await army
      .map(words(5), (word) => `Echo ${word}.`, { id: (_word, index) => ids[index]!, chunkSize: 2 })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(PlanInvalidError);
    expect((error as Error).message).toMatch(/items\[4\] \(id "bad id"\)/);
    const duplicate = await army
      .map(words(3), (word) => `Echo ${word}.`, { id: () => 'same', chunkSize: 2 })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect((duplicate as Error).message).toMatch(/"same" is used more than once/);
    await expect(army.map(words(0), (word) => `Echo ${word}.`)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(() => army.map(words(1), (word) => `Echo ${word}.`, { chunkSize: 0 })).not.toThrow();
    await expect(
      army.map(words(1), (word) => `Echo ${word}.`, { chunkSize: 100_001 }),
    ).rejects.toThrow(/`chunkSize`/);
  });

  it('a resume without the items of a run that had not read them all says to pass them; with them it reads on', async () => {
    fake = await echoWorker();
    const journal = journalDir();
    const options = { baseURL: fake.url, apiKey: 'test-key', journal, batchPollIntervalMs: 10 };
    const controller = new AbortController();
    const army = createArmy(options);
    // Cancelled once the first chunk has finished.
    army.events.on('task:end', ({ taskId }) => {
      if (taskId === 'item-2') controller.abort();
    });
    const brief = (word: string) => `Echo ${word}.`;
    const first = await army.map(words(6), brief, {
      mode: 'batch',
      chunkSize: 2,
      signal: controller.signal,
    });
    expect(first.status).toBe('cancelled');
    const resumed = createArmy(options);
    await expect(resumed.resume(first.runId)).rejects.toThrow(/pass the same `items` and `brief`/);
    const again = createArmy(options);
    const result = await again.resume(first.runId, { items: words(6), brief });
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 6 }, (_, index) => `Echoed w${index}.`),
    );
    // Every item was sent to the API once, over both executions.
    const sent = fake.transcript.entries.filter((entry) => entry.source === 'batch');
    expect(new Set(sent.map((entry) => entry.customId)).size).toBe(sent.length);
    expect(again.ledger.spent()).toBe(fake.billing.total());
  });
  it('with keepResults: false keeps no result in memory: onResult gets each, the result counts them, a resume goes on the same way', async () => {
    fake = await echoWorker();
    const journal = journalDir();
    const options = { baseURL: fake.url, apiKey: 'test-key', journal, batchPollIntervalMs: 10 };
    const controller = new AbortController();
    const seen: string[] = [];
    const army = createArmy(options);
    army.events.on('task:end', ({ taskId }) => {
      if (taskId === 'item-3') controller.abort();
    });
    const brief = (word: string) => `Echo ${word}.`;
    const first = await army.map(words(7), brief, {
      mode: 'batch',
      chunkSize: 3,
      keepResults: false,
      signal: controller.signal,
      onResult: async (result) => {
        // Called with the whole result, once the journal has it.
        expect(result.attempts.length).toBeGreaterThan(0);
        seen.push(`${result.id}:${result.summary}`);
      },
    });
    expect(first.status).toBe('cancelled');
    expect(first.subtasks).toEqual([]);
    expect(first.counts).toEqual({ done: 3, partial: 0, failed: 0, skipped: 0, cancelled: 0 });
    expect(seen).toEqual(['item-1:Echoed w0.', 'item-2:Echoed w1.', 'item-3:Echoed w2.']);
    // What a resume keeps, read as the resume reads it (the CLI's way to fill a results file).
    const light = await loadKeptOnResume(first.runId, { journal, whole: (id) => id === 'item-2' });
    expect(light.outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
      ['item-1', 'done'],
      ['item-2', 'done'],
      ['item-3', 'done'],
    ]);
    expect(light.results.map((result) => [result.id, result.summary])).toEqual([
      ['item-2', 'Echoed w1.'],
    ]);
    expect(light.summary).toEqual(await loadRunSummary(first.runId, { journal }));
    expect(light.summary.cost).toBe(fake.billing.total());
    expect(light.summary.subtasks).toMatchObject({ done: 3 });
    const again = createArmy(options);
    await expect(
      again.resume(first.runId, { items: words(7), brief, reduce: () => 'x' }),
    ).rejects.toThrow(/keepResults: false/);
    const later: string[] = [];
    // resumeRun (a fresh process's way in) passes onResult on as army.resume does.
    const result = await resumeRun({
      ...options,
      runId: first.runId,
      items: words(7),
      brief,
      onResult: (subtask) => {
        later.push(subtask.id);
      },
    });
    expect(result.status).toBe('done');
    expect(result.subtasks).toEqual([]);
    expect(result.counts).toMatchObject({ done: 7, failed: 0 });
    // The resume ran (and reported) only the items the first execution had not finished.
    expect(later).toEqual(['item-4', 'item-5', 'item-6', 'item-7']);
    expect(result.cost.total).toBe(fake.billing.total());
    // Every result is in the journal.
    const loaded = await loadRun(first.runId, { journal });
    expect(loaded.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 7 }, (_, index) => `Echoed w${index}.`),
    );
    expect(loaded.counts).toMatchObject({ done: 7 });
  });

  it('refuses keepResults: false where every result is needed, or for an array', async () => {
    fake = await echoWorker();
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', journal: false });
    const brief = (word: string) => `Echo ${word}.`;
    await expect(
      army.map(words(2), brief, { keepResults: false, reduce: (results) => results.length }),
    ).rejects.toThrow(/`keepResults`.*`reduce` or `synthesize: true`/);
    await expect(
      army.map(words(2), brief, { keepResults: false, synthesize: true }),
    ).rejects.toThrow(/`keepResults`/);
    await expect(army.map(['a'], brief, { keepResults: false })).rejects.toThrow(
      /items given as an array/,
    );
    await expect(
      army.map(words(2), brief, { keepResults: 'no' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(
      army.map(words(2), brief, { onResult: 'log' as unknown as () => void }),
    ).rejects.toThrow(/`onResult`/);
  });
  it("sends each chunk's first calls ahead as one batch; a tool turn goes in a later wave; a cancel while the batch runs ends the run and a resume pays nothing twice", async () => {
    const lookup = defineTool({
      name: 'lookup',
      description: 'Looks a word up.',
      input: z.object({ word: z.string() }),
      run: ({ word }) => `meaning of ${word}`,
    });
    fake = await startScripted(
      {
        // Even words ask the tool first; odd ones answer at once.
        worker: (request) => {
          const word = /Echo (w(\d+))\./.exec(JSON.stringify(request.messages[0]))!;
          if (Number(word[2]) % 2 === 0 && toolExchanges(request).length === 0)
            return reply.toolUse('lookup', { word: word[1] });
          return reply.toolUse('submit_result', { status: 'done', summary: `Echoed ${word[1]}.` });
        },
      },
      { batchProcessingMs: 40 },
    );
    const journal = journalDir();
    const options = {
      baseURL: fake.url,
      apiKey: 'test-key',
      journal,
      batchPollIntervalMs: 10,
      tools: [lookup],
    };
    const brief = (word: string) => `Echo ${word}.`;
    const army = createArmy(options);
    const result = await army.map(words(8), brief, { mode: 'batch', chunkSize: 4 });
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 8 }, (_, index) => `Echoed w${index}.`),
    );
    const batches = createdBatches(journal, result.runId);
    // Per chunk: the four first calls, then the two tool turns; chunk 2's
    // first calls go while chunk 1 runs (one chunk ahead, the default).
    expect(batches.map((batch) => batch.customIds.length)).toEqual([4, 4, 2, 2]);
    const sent = fake.transcript.entries.filter((entry) => entry.source === 'batch');
    expect(new Set(sent.map((entry) => entry.customId)).size).toBe(12);
    expect(sent).toHaveLength(12);
    expect(army.ledger.spent()).toBe(fake.billing.total());

    // Cancelled while the first chunk's batch is processing.
    const controller = new AbortController();
    const cancelled = createArmy(options);
    const handle = cancelled.map(words(4), brief, {
      mode: 'batch',
      chunkSize: 4,
      signal: controller.signal,
    });
    await until(
      () =>
        existsSync(join(journal, handle.runId, 'journal.jsonl')) &&
        records(journal, handle.runId).some((record) => record.type === 'batch'),
    );
    controller.abort();
    const stopped = await handle;
    expect(stopped.status).toBe('cancelled');
    const again = createArmy(options);
    const finished = await again.resume(stopped.runId, { items: words(4), brief });
    expect(finished.status).toBe('done');
    const firstTurns = fake.transcript.entries.filter(
      (entry) => entry.source === 'batch' && /_1_1_[0-9a-f]{8}$/.test(entry.customId ?? ''),
    );
    expect(firstTurns.length).toBeGreaterThanOrEqual(4);
    expect(new Set(firstTurns.map((entry) => entry.customId)).size).toBe(firstTurns.length);
    expect(again.ledger.spent() + army.ledger.spent()).toBe(fake.billing.total());
  });
  it('asks the router once per subtask, sent ahead or not, and a fail-fast stop gives up the calls sent ahead (their batch is cancelled, nothing billed)', async () => {
    fake = await echoWorker();
    const picked: string[] = [];
    const router = (throwFor?: string) => ({
      name: 'counting',
      pick: async (subtask: { id: string }) => {
        picked.push(subtask.id);
        if (subtask.id === throwFor) throw new Error('no model for this one');
        return { model: 'claude-haiku-5-5', reason: 'the only one' };
      },
    });
    const brief = (word: string) => `Echo ${word}.`;
    // With maxCost, no first call can be sent ahead: the picks are kept for the runs.
    const capped = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      journal: false,
      batchPollIntervalMs: 10,
      workers: router(),
      limits: { maxCost: 50_000_000 },
    });
    const result = await capped.map(words(6), brief, { mode: 'batch', chunkSize: 3 });
    expect(result.counts).toMatchObject({ done: 6 });
    expect(picked.sort()).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'item-6']);

    await fake.close();
    fake = await startScripted(
      {
        worker: () => reply.toolUse('submit_result', { status: 'done', summary: 'Echoed.' }),
      },
      { batchProcessingMs: 5_000 },
    );
    picked.length = 0;
    const failFast = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      journal: false,
      batchPollIntervalMs: 10,
      workers: router('item-3'),
      failurePolicy: 'fail-fast',
    });
    const stopped = await failFast.map(words(4), brief, { mode: 'batch', chunkSize: 4 });
    expect(stopped.status).toBe('failed');
    expect(stopped.counts?.failed).toBe(1);
    // The three calls sent ahead were given up before their batch ran: none was billed.
    expect(fake.billing.entries).toHaveLength(0);
    // A batch created before the stop was cancelled (or the create was given up).
    const paths = fake.transcript.entries.map((entry) => `${entry.method} ${entry.path}`);
    expect(paths.filter((path) => path.endsWith('/cancel'))).toHaveLength(
      paths.filter((path) => path === 'POST /v1/messages/batches').length,
    );
    expect(failFast.ledger.spent()).toBe(0);
  });
});

describe('chunks ahead (batch mode)', () => {
  /** Journal positions: each chunk's record, and each item's result, by item number. */
  function positions(journal: string, runId: string) {
    const all = records(journal, runId);
    const chunkAt = all.flatMap((record, at) => (record.type === 'chunk' ? [at] : []));
    const resultAt = new Map<number, number>();
    all.forEach((record, at) => {
      if (record.type === 'subtask') resultAt.set(Number(record.result.id.slice(5)), at);
    });
    return { chunkAt, resultAt };
  }

  it('reads, journals and submits up to chunksAhead chunks past the one running; chunks still run in order', async () => {
    fake = await echoWorker();
    const journal = journalDir();
    const brief = (word: string) => `Echo ${word}.`;
    const army = batchArmy(journal);
    const result = await army.map(words(10), brief, {
      mode: 'batch',
      chunkSize: 2,
      chunksAhead: 2,
    });
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 10 }, (_, index) => `Echoed w${index}.`),
    );
    const { chunkAt, resultAt } = positions(journal, result.runId);
    expect(chunkAt).toHaveLength(5);
    // Chunks 1-3 are read before any item finishes; chunk k (from 4) once
    // chunk k-3 has ended, and before chunk k-2 runs.
    const firstResult = Math.min(...resultAt.values());
    expect(chunkAt.slice(0, 3).every((at) => at < firstResult)).toBe(true);
    for (let chunk = 3; chunk < 5; chunk++) {
      const endedBefore = Math.max(
        resultAt.get(2 * (chunk - 3) + 1)!,
        resultAt.get(2 * (chunk - 3) + 2)!,
      );
      const runsAfter = Math.min(
        resultAt.get(2 * (chunk - 2) + 1)!,
        resultAt.get(2 * (chunk - 2) + 2)!,
      );
      expect(chunkAt[chunk]).toBeGreaterThan(endedBefore);
      expect(chunkAt[chunk]).toBeLessThan(runsAfter);
    }
    // Each chunk's items finish after the chunk before's.
    for (let item = 3; item <= 10; item++)
      expect(resultAt.get(item)).toBeGreaterThan(resultAt.get(2 * Math.ceil(item / 2) - 2)!);
    const batches = createdBatches(journal, result.runId);
    expect(batches.map((batch) => batch.customIds.length)).toEqual([2, 2, 2, 2, 2]);
    expect(army.ledger.spent()).toBe(fake.billing.total());

    // With 0, a chunk is read once the one before has ended.
    const sequential = await army.map(words(6), brief, {
      mode: 'batch',
      chunkSize: 2,
      chunksAhead: 0,
    });
    const order = positions(journal, sequential.runId);
    for (let chunk = 1; chunk < 3; chunk++)
      expect(order.chunkAt[chunk]).toBeGreaterThan(
        Math.max(order.resultAt.get(2 * chunk - 1)!, order.resultAt.get(2 * chunk)!),
      );
  });

  it('chunks ahead never make a capped run fail that one chunk at a time finishes: what the budget cannot reserve ahead is sent when its chunk runs', async () => {
    fake = await echoWorker();
    const brief = (word: string) => `Echo ${word}.`;
    const options = {
      baseURL: fake.url,
      apiKey: 'test-key',
      journal: false as const,
      batchPollIntervalMs: 10,
    };
    await createArmy(options).map(words(2), brief, { mode: 'batch', chunkSize: 2 });
    const perItem = fake.billing.total() / 2;
    // Room for a few chunks' worst cases at once (a worst case is many
    // times what an item costs); 40 items cost 40 times one.
    const cap = Math.round(perItem * 300);
    for (const chunksAhead of [0, 3]) {
      fake.billing.clear();
      const army = createArmy({ ...options, budget: { run: cap } });
      const result = await army.map(words(40), brief, {
        mode: 'batch',
        chunkSize: 4,
        chunksAhead,
        keepResults: false,
      });
      expect(result.status).toBe('done');
      expect(result.counts).toMatchObject({ done: 40 });
      expect(army.ledger.spent()).toBe(fake.billing.total());
    }
  });

  it('a run cap spent while chunks wait ahead: budget_exceeded under the cap, and a resume finishes at the batch tier paying nothing twice', async () => {
    fake = await echoWorker();
    const journal = journalDir();
    const brief = (word: string) => `Echo ${word}.`;
    const options = { baseURL: fake.url, apiKey: 'test-key', journal, batchPollIntervalMs: 10 };
    await createArmy({ ...options, journal: false }).map(words(2), brief, {
      mode: 'batch',
      chunkSize: 2,
    });
    const perItem = fake.billing.total() / 2;
    fake.billing.clear();
    const cap = Math.round(perItem * 300);
    const army = createArmy({ ...options, budget: { run: cap } });
    const stopped = await army.map(words(320), brief, {
      mode: 'batch',
      chunkSize: 4,
      chunksAhead: 3,
      keepResults: false,
    });
    expect(stopped.status).toBe('budget_exceeded');
    expect(army.ledger.spent()).toBeLessThanOrEqual(cap);
    // Spent close to the cap: a call the cap cannot reserve while others are
    // in flight waits for them to settle (one call's worst case is about a
    // tenth of this cap; the run stops once less than that is left).
    expect(army.ledger.spent()).toBeGreaterThan(cap * 0.85);
    // What the API billed for batches given up is held against the cap, and collected by the resume.
    expect(army.gateway.budget!.status('run', stopped.runId)!.spent).toBeLessThanOrEqual(cap);
    const again = createArmy(options);
    const resumed = await again.resume(stopped.runId, { items: words(320), brief });
    expect(resumed.status).toBe('done');
    expect(resumed.counts).toMatchObject({ done: 320 });
    // The resumed army's ledger holds the journaled entries too: it is the whole bill.
    expect(again.ledger.spent()).toBe(fake.billing.total());
    // Each item billed once (its one call), whatever batch it ended in.
    expect(fake.billing.entries).toHaveLength(320);
    expect(fake.billing.entries.filter((entry) => entry.usage.service_tier !== 'batch')).toEqual(
      [],
    );
  });

  it('a cancel while chunks wait ahead cancels their batches; the resume sends what they had not run in new batches, at the batch tier', async () => {
    fake = await startScripted(
      {
        worker: (request) => {
          const word = /Echo (\S+)\./.exec(JSON.stringify(request.messages[0]))![1]!;
          return reply.toolUse('submit_result', { status: 'done', summary: `Echoed ${word}.` });
        },
      },
      { batchProcessingMs: 400 },
    );
    const journal = journalDir();
    const brief = (word: string) => `Echo ${word}.`;
    const controller = new AbortController();
    const handle = batchArmy(journal).map(words(6), brief, {
      mode: 'batch',
      chunkSize: 2,
      chunksAhead: 2,
      signal: controller.signal,
    });
    await until(
      () =>
        existsSync(join(journal, handle.runId, 'journal.jsonl')) &&
        records(journal, handle.runId).filter((record) => record.type === 'batch').length === 3,
    );
    controller.abort();
    expect((await handle).status).toBe('cancelled');
    // The three batches at the API are cancelled (once the run has ended, in the background).
    const cancels = () =>
      fake!.transcript.entries.filter(
        (entry) => entry.method === 'POST' && /\/cancel$/.test(entry.path),
      );
    await until(() => cancels().length === 3);
    expect(fake.billing.entries).toHaveLength(0);
    const again = batchArmy(journal);
    const resumed = await again.resume(handle.runId, { items: words(6), brief });
    expect(resumed.status).toBe('done');
    expect(resumed.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 6 }, (_, index) => `Echoed w${index}.`),
    );
    expect(fake.billing.entries).toHaveLength(6);
    expect(fake.billing.entries.filter((entry) => entry.usage.service_tier !== 'batch')).toEqual(
      [],
    );
    expect(again.ledger.spent()).toBe(fake.billing.total());
    // Each cancelled chunk's two requests went out again together: one new batch per chunk.
    expect(createdBatches(journal, handle.runId).map((batch) => batch.customIds.length)).toEqual([
      2, 2, 2, 2, 2, 2,
    ]);
  });

  it('refuses a chunksAhead that is not an integer from 0 to 100, naming it', async () => {
    const army = createArmy({ apiKey: 'test-key', journal: false });
    for (const chunksAhead of [-1, 1.5, 101, '2'])
      await expect(
        army.map(words(2), (word) => word, { mode: 'batch', chunksAhead: chunksAhead as number }),
      ).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('chunksAhead'),
      });
    // resumeRun checks and passes it on too (the CLI's resume goes through it).
    await expect(
      resumeRun({
        runId: 'no-such-run',
        journal: journalDir(),
        apiKey: 'test-key',
        chunksAhead: -1,
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('chunksAhead') });
  });

  it('a bad item in a chunk read ahead stops the run only after the chunks read before it have run (none paid for is left unrun)', async () => {
    fake = await echoWorker();
    const journal = journalDir();
    const army = batchArmy(journal);
    const ran: string[] = [];
    const handle = army.map(words(12), (word) => `Echo ${word}.`, {
      mode: 'batch',
      chunkSize: 4,
      chunksAhead: 1,
      id: (word, index) => (index === 8 ? 'bad id' : word),
      onResult: (result) => {
        ran.push(result.id);
      },
    });
    await expect(handle).rejects.toBeInstanceOf(PlanInvalidError);
    // Chunks 1 and 2 ran (chunk 3, read ahead while chunk 1 ran, held the bad item).
    expect(ran.sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7']);
    expect(fake.billing.entries).toHaveLength(8);
    expect(army.ledger.spent()).toBe(fake.billing.total());
  });
});

describe('resuming a streamed batch map', () => {
  const brief = (word: string) => `Echo ${word}.`;

  /** A 7-item map in chunks of 3, its journal cut as a crash just after item 4's result would leave it. */
  async function crashedAfterItem4(id?: (word: string) => string) {
    fake = await echoWorker();
    const journal = journalDir();
    const options = { baseURL: fake.url, apiKey: 'test-key', journal, batchPollIntervalMs: 10 };
    const done = await createArmy(options).map(words(7), brief, {
      mode: 'batch',
      chunkSize: 3,
      // One chunk at a time, so chunk 3 is not read before item 4 finishes.
      chunksAhead: 0,
      keepResults: false,
      ...(id ? { id } : {}),
    });
    expect(done.status).toBe('done');
    // Chunk 2's items 5 and 6 unfinished, chunk 3 not read.
    const path = join(journal, done.runId, 'journal.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    const cut = lines.findIndex(
      (line) =>
        line.includes('"type":"subtask"') && line.includes(`"id":"${id ? id('w3') : 'item-4'}"`),
    );
    writeFileSync(path, `${lines.slice(0, cut + 1).join('\n')}\n`);
    return { options, runId: done.runId, path, billedBefore: fake.billing.entries.length };
  }

  it('reads for what is still to run: stand-ins for finished items, only unfinished batches, outcomes without keepResults', async () => {
    const { options, runId, path, billedBefore } = await crashedAfterItem4();
    const done = { runId };

    const full = readJournal(path, console);
    expect(
      full.chunks.flatMap((chunk) => chunk.subtasks.map((subtask) => subtask.brief.objective)),
    ).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5'].map((word) => `Echo ${word}.`));
    expect(full.batches).toHaveLength(2);
    expect(full.results.size).toBe(4);
    expect(full.outcomes).toBeUndefined();

    const state = readJournal(path, console, { forResume: true });
    const objectives = state.chunks.flatMap((chunk) =>
      chunk.subtasks.map((subtask) => `${subtask.id}:${subtask.brief.objective}`),
    );
    expect(objectives.slice(4)).toEqual(['item-5:Echo w4.', 'item-6:Echo w5.']);
    expect(
      objectives.slice(0, 4).every((text) => /^item-\d:Finished before this resume/.test(text)),
    ).toBe(true);
    // Chunk 1's batch had only finished items; chunk 2's is reattached.
    expect(state.batches.map((batch) => batch.batchId)).toEqual([full.batches[1]!.batchId]);
    expect(state.results.size).toBe(0);
    expect([...state.outcomes!.values()]).toEqual(
      ['item-1', 'item-2', 'item-3', 'item-4'].map((id) => ({ id, status: 'done', dependsOn: [] })),
    );
    // The ledger entries are packed as they are read: the same entries, none as objects.
    expect(state.entries).toEqual([]);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect([...state.journaled!.each()].sort(byId)).toEqual([...full.entries].sort(byId));

    const ran: string[] = [];
    // The journaled spend counts against the caps (restored from the packed entries).
    const army = createArmy({ ...options, budget: { run: 1_000_000_000, task: 100_000_000 } });
    const journaledCost = full.entries.reduce((sum, entry) => sum + entry.cost.total, 0);
    const spentAtStart: (number | undefined)[] = [];
    army.events.on('task:start', () => {
      const budget = army.gateway.budget!;
      spentAtStart.push(
        budget.status('run', runId)!.spent,
        budget.status('task', `${runId}/item-1`)?.spent,
      );
    });
    const resumed = await army.resume(done.runId, {
      items: words(7),
      brief,
      onResult: (result) => {
        ran.push(result.id);
      },
    });
    expect(resumed.status).toBe('done');
    expect(resumed.subtasks).toEqual([]);
    expect(resumed.counts).toMatchObject({ done: 7, failed: 0, cancelled: 0 });
    expect(ran).toEqual(['item-5', 'item-6', 'item-7']);
    const item1 = full.entries.find((entry) => entry.taskId === 'item-1')!;
    expect(spentAtStart.slice(0, 2)).toEqual([journaledCost, item1.cost.total]);
    // Chunk 2's batch was reattached, not sent again: only chunk 3's item is billed now, and
    // the ledger is the journaled calls and that one (the cut left the first run's item 7 out).
    const billedNow = fake!.billing.entries.slice(billedBefore);
    expect(billedNow).toHaveLength(1);
    const journaled = full.entries.reduce((sum, entry) => sum + entry.cost.total, 0);
    expect(resumed.cost.total).toBe(journaled + billedNow[0]!.cost.total);
    // An ended map that keeps no results resumes to what its run returned: counts, no subtasks.
    const again = await createArmy(options).resume(done.runId);
    expect(again.subtasks).toEqual([]);
    expect(again.counts).toMatchObject({ done: 7 });
  });

  it('sends the requests of a batch the API no longer has in a new batch, at the batch price', async () => {
    const { options, runId, path, billedBefore } = await crashedAfterItem4();
    const lines = readFileSync(path, 'utf8').split('\n');
    const batchLines = lines.filter((line) => line.startsWith('{"type":"batch"'));
    const lost = JSON.parse(batchLines[1]!).batchId as string;
    writeFileSync(path, lines.join('\n').replaceAll(lost, 'msgbatch_expired_long_ago'));
    const journaled = readJournal(path, console).entries.reduce(
      (sum, entry) => sum + entry.cost.total,
      0,
    );
    const resumed = await createArmy(options).resume(runId, { items: words(7), brief });
    expect(resumed.status).toBe('done');
    expect(resumed.counts).toMatchObject({ done: 7, failed: 0 });
    // Items 5 and 6 again and item 7, all batched: none interactively.
    const billedNow = fake!.billing.entries.slice(billedBefore);
    expect(billedNow).toHaveLength(3);
    expect(billedNow.every((entry) => entry.usage.service_tier === 'batch')).toBe(true);
    expect(resumed.cost.total).toBe(
      journaled + billedNow.reduce((sum, entry) => sum + entry.cost.total, 0),
    );
    // The new batch is journaled: a later resume reattaches to it, not to the lost one.
    const batches = readJournal(path, console).batches.map((batch) => batch.batchId);
    expect(batches).toHaveLength(4);
    expect(batches.slice(2)).not.toContain('msgbatch_expired_long_ago');
  });

  it("refuses to read on without the map's own id function (new items would get default ids)", async () => {
    const id = (word: string) => `word-${word}`;
    const { options, runId } = await crashedAfterItem4(id);
    const army = createArmy(options);
    await expect(army.resume(runId, { items: words(7), brief })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('item 0 had id "word-w0"'),
    });
    const resumed = await army.resume(runId, { items: words(7), brief, id });
    expect(resumed.counts).toMatchObject({ done: 7, failed: 0 });
  });

  it("packs a resumed map's journaled entries a thousand at a time: each id once (its first record), any timestamp order", async () => {
    const { path } = await crashedAfterItem4();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const model = JSON.parse(lines.find((line) => line.startsWith('{"type":"ledger"'))!);
    // 2,500 more records of 2,000 ids, older and older (a clock behind), every tenth a router call.
    const extra = Array.from({ length: 2_500 }, (_, index) => {
      const id = `extra-${index % 2_000}`;
      const role = index % 10 === 0 ? 'router' : 'worker';
      const summary = index < 2_000 ? 'first' : 'repeat';
      const entry = {
        ...model.entry,
        id,
        role,
        timestamp: model.entry.timestamp - index,
        tags: [summary],
      };
      return JSON.stringify({ type: 'ledger', entry });
    });
    writeFileSync(path, `${[...lines, ...extra].join('\n')}\n`);
    const full = readJournal(path, console);
    const state = readJournal(path, console, { forResume: true });
    const packed = [...state.journaled!.each()];
    expect(packed).toHaveLength(full.entries.length);
    expect(packed.filter((entry) => entry.id.startsWith('extra-'))).toHaveLength(2_000);
    expect(packed.every((entry) => entry.tags[0] !== 'repeat')).toBe(true);
    // In timestamp order, as army.ledger keeps them.
    expect(
      packed.every(
        (entry, index) => index === 0 || packed[index - 1]!.timestamp <= entry.timestamp,
      ),
    ).toBe(true);
    // The segment keeps the calls other than workers' for the timeline, once each, in journal order.
    const routers = state.segments.flatMap((segment) => segment.entries.map((entry) => entry.id));
    expect(routers).toEqual(
      full.segments.flatMap((segment) =>
        segment.entries.filter((entry) => entry.role !== 'worker').map((entry) => entry.id),
      ),
    );
    expect(routers.filter((id) => id.startsWith('extra-'))).toHaveLength(200);
  });
});

describe('a process killed during a batch create (batch mode)', () => {
  const brief = (word: string) => `Echo ${word}.`;
  const creates = () =>
    fake!.transcript.entries.filter(
      (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
    );

  /**
   * Runs a 6-item map in chunks of 2 whose second create never gets its
   * answer back (`reached`: after the API made the batch, or before the
   * request left), as a process killed there; then resumes it in a new army.
   */
  async function killedDuringCreate(reached: boolean, resumeFetch?: typeof fetch) {
    fake = await echoWorker();
    const journal = journalDir();
    let posts = 0;
    const dying: typeof fetch = async (input, init) => {
      const create = init?.method === 'POST' && /\/v1\/messages\/batches$/.test(String(input));
      if (!create || ++posts < 2) return fetch(input, init);
      if (reached) await fetch(input, init);
      return new Promise<Response>(() => {}); // the process is gone: no answer is ever read
    };
    const killed = batchArmy(journal, { fetch: dying }).map(words(6), brief, {
      mode: 'batch',
      chunkSize: 2,
      chunksAhead: 0,
    });
    const path = join(journal, killed.runId, 'journal.jsonl');
    await until(
      () =>
        existsSync(path) &&
        records(journal, killed.runId).filter((record) => record.type === 'batch-creating')
          .length === 2 &&
        creates().length === (reached ? 2 : 1),
    );
    const journaled = records(journal, killed.runId);
    expect(journaled.filter((record) => record.type === 'batch')).toHaveLength(1);
    const state = readJournal(path, console, { forResume: true });
    expect(state.creates).toHaveLength(1);
    expect(state.creates[0]!.customIds).toHaveLength(2);
    expect(state.batchIds).toHaveLength(1);
    const again = batchArmy(journal, resumeFetch ? { fetch: resumeFetch, maxAttempts: 2 } : {});
    const result = await again.resume(killed.runId, { items: words(6), brief });
    return { result, again, journal, runId: killed.runId };
  }

  /** A fetch whose list of batches answers `status` (the rest goes to the fake). */
  const listing =
    (status: number): typeof fetch =>
    async (input, init) =>
      (init?.method ?? 'GET') === 'GET' && /\/v1\/messages\/batches(\?|$)/.test(String(input))
        ? new Response(
            JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'no' } }),
            {
              status,
              headers: { 'content-type': 'application/json' },
            },
          )
        : fetch(input, init);

  it("the list is down: the lost create's items fail BATCH_MAYBE_SUBMITTED (nothing sent twice) and the next resume finds the batch", async () => {
    const { result, runId, journal } = await killedDuringCreate(true, listing(500));
    // Stopped as cancelled: a run that cannot tell whether it paid goes on by a resume.
    expect(result.status).toBe('cancelled');
    const failed = result.subtasks.filter((subtask) => subtask.code === 'BATCH_MAYBE_SUBMITTED');
    expect(failed.map((subtask) => subtask.id)).toEqual(['item-3', 'item-4']);
    expect(creates()).toHaveLength(3);
    const third = batchArmy(journal);
    const finished = await third.resume(runId, { items: words(6), brief });
    expect(finished.status).toBe('done');
    expect(creates()).toHaveLength(3);
    expect(fake!.billing.entries).toHaveLength(6);
    expect(third.ledger.spent()).toBe(fake!.billing.total());
  });

  it('an API without the list (404): the lost create is sent again, as before reconciliation', async () => {
    const { result } = await killedDuringCreate(false, listing(404));
    expect(result.status).toBe('done');
    expect(creates()).toHaveLength(3);
  });

  it('the API made the batch: the resume finds it and collects it, creating nothing again', async () => {
    const { result, again } = await killedDuringCreate(true);
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual(
      Array.from({ length: 6 }, (_, index) => `Echoed w${index}.`),
    );
    // Three chunks, three creates: the lost one was found in the list, not sent again.
    expect(creates()).toHaveLength(3);
    const listed = fake!.transcript.entries.filter(
      (entry) => entry.method === 'GET' && entry.path === '/v1/messages/batches',
    );
    expect(listed.length).toBeGreaterThan(0);
    const billed = fake!.billing.entries;
    expect(billed).toHaveLength(6);
    expect(new Set(billed.map((entry) => entry.customId)).size).toBe(6);
    expect(billed.every((entry) => entry.usage.service_tier === 'batch')).toBe(true);
    // The first process's ledger entries are in the journal; the resume's ledger holds them all.
    expect(again.ledger.spent()).toBe(fake!.billing.total());
  });

  it('the create never reached the API: the resume sends that chunk once, at the batch tier', async () => {
    const { result, again } = await killedDuringCreate(false);
    expect(result.status).toBe('done');
    expect(creates()).toHaveLength(3);
    expect(fake!.billing.entries).toHaveLength(6);
    expect(fake!.billing.entries.every((entry) => entry.usage.service_tier === 'batch')).toBe(true);
    expect(again.ledger.spent()).toBe(fake!.billing.total());
  });
});
