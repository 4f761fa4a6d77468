import Anthropic from '@anthropic-ai/sdk';
import { type Attribution, createGateway, type LedgerEntry } from '@haiku-army/core';
import {
  type FakeAnthropicServer,
  lastUserText,
  reply,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BatchSubmittedRecord,
  createArmy,
  planSubtaskSchema,
  subtaskCustomId,
} from '../src/index.js';
import { AHEAD_RUN_SLOTS, BatchCollector } from '../src/internal/batch-collector.js';
import { resolveArmyOptions } from '../src/internal/resolve-army-options.js';
import { RunExecution } from '../src/internal/run-execution.js';
import { RunGateway } from '../src/internal/run-gateway.js';
import { startScripted } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function batchCreates(server: FakeAnthropicServer) {
  return server.transcript.entries.filter(
    (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
  );
}

const request = (text: string) => ({
  model: 'claude-haiku-5-5',
  max_tokens: 50,
  messages: [{ role: 'user' as const, content: text }],
});

/**
 * Runs every subtask as the run execution does once its first call went
 * ahead: wait for `ahead`, enter, take the first call's answer. The runs
 * holding a slot wait until every slot is taken, so none ends before then.
 * Returns each run's answer and the most that ran at once.
 */
async function runAhead(
  collector: BatchCollector,
  ids: readonly string[],
  attribution: (taskId: string) => Attribution,
): Promise<{ answers: string[]; most: number }> {
  let running = 0;
  let most = 0;
  let full!: () => void;
  const filled = new Promise<void>((resolve) => {
    full = resolve;
  });
  const answers = await Promise.all(
    ids.map(async (taskId) => {
      await collector.ahead(taskId);
      running += 1;
      most = Math.max(most, running);
      if (running === AHEAD_RUN_SLOTS) full();
      const leave = collector.enter(taskId);
      const first = await collector.call(request(taskId), attribution(taskId));
      await filled;
      running -= 1;
      leave();
      return (first.message.content[0] as { type: 'text'; text: string }).text;
    }),
  );
  return { answers, most };
}

describe('subtaskCustomId', () => {
  it('is deterministic, valid for the API, readable when it can be, and distinct', () => {
    expect(subtaskCustomId('shard-7', 1, 2)).toBe('shard-7_1_2');
    const ids = [
      subtaskCustomId('src/a.ts', 1, 1),
      subtaskCustomId('src/a.ts', 1, 2),
      subtaskCustomId('src/a.ts', 2, 1),
      subtaskCustomId('src-a-ts', 1, 1),
      subtaskCustomId('src_a', 1, 1),
      subtaskCustomId('x'.repeat(200), 1, 1),
      subtaskCustomId('x'.repeat(199), 1, 1),
      subtaskCustomId('pkg:lib/x.ts', 12, 30),
    ];
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(subtaskCustomId('src/a.ts', 1, 1)).toBe(ids[0]);
    expect(ids[0]).toMatch(/^src-a-ts_1_1-[0-9a-f]{16}$/);
  });

  it("given the run's id, carries a token of it: another run's batch never holds the same ids", () => {
    const mine = subtaskCustomId('item-7', 1, 1, 'run-a');
    expect(mine).toMatch(/^item-7_1_1_[0-9a-f]{8}$/);
    expect(subtaskCustomId('item-7', 1, 1, 'run-a')).toBe(mine);
    const others = [
      subtaskCustomId('item-7', 1, 1, 'run-b'),
      subtaskCustomId('item-7', 1, 1),
      subtaskCustomId('src/a.ts', 1, 1, 'run-a'),
      subtaskCustomId('src/a.ts', 1, 1, 'run-b'),
      subtaskCustomId('x'.repeat(60), 1, 1, 'run-a'),
    ];
    for (const id of others) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(new Set([mine, ...others]).size).toBe(others.length + 1);
  });
});

describe('reattaching to a batch an interrupted run submitted', () => {
  it.each([false, true])(
    'uses the batch’s results instead of resubmitting (collector, as if a process had died; journaled ids without the run token, as before it existed: %s)',
    async (legacy) => {
      fake = await startFakeAnthropic({
        latency: 0,
        batchProcessingMs: 10,
        defaultResponder: (sent) => reply.text(`answer to ${lastUserText(sent)}`),
      });
      const runId = 'run-died';
      const recordedId = (taskId: string) =>
        legacy ? subtaskCustomId(taskId, 1, 1) : subtaskCustomId(taskId, 1, 1, runId);
      const attribution = (taskId: string): Attribution => ({
        runId,
        taskId,
        role: 'worker',
        attempt: 1,
      });
      // The dead process created this batch for turn 1 of two subtasks, recorded it, and died.
      const tasks = { 't-1': 'one', 'src/t2.ts': 'two' } as const;
      const client = new Anthropic({ baseURL: fake.url, apiKey: 'test-key' });
      const created = await client.messages.batches.create({
        requests: Object.entries(tasks).map(([taskId, text]) => ({
          custom_id: recordedId(taskId),
          params: request(text),
        })),
      });
      const record: BatchSubmittedRecord = {
        runId,
        batchId: created.id,
        customIds: Object.keys(tasks).map((taskId) => recordedId(taskId)),
        attributions: Object.fromEntries(
          Object.keys(tasks).map((taskId) => [recordedId(taskId), attribution(taskId)]),
        ),
        requests: Object.fromEntries(
          Object.entries(tasks).map(([taskId, text]) => [recordedId(taskId), request(text)]),
        ),
      };

      // A new process: its own gateway and ledger.
      const gateway = createGateway({ baseURL: fake.url, apiKey: 'test-key' });
      const resumeBatch = vi.spyOn(gateway, 'resumeBatch');
      const journal: LedgerEntry[] = [];
      const submitted: BatchSubmittedRecord[] = [];
      const run = new RunGateway(gateway, runId, {
        recorder: { ledgerEntry: (entry) => void journal.push(entry) },
        now: Date.now,
      });
      const collector = new BatchCollector({
        runId,
        gateway: run,
        batches: gateway,
        recorder: { batchSubmitted: (submission) => void submitted.push(submission) },
        batching: true,
        toolTurns: 'batch',
        windowMs: 50,
        pollIntervalMs: 20,
        deadlineAt: undefined,
        resume: [record],
        now: Date.now,
        signal: new AbortController().signal,
      });
      const leaves = [collector.enter(), collector.enter(), collector.enter()];
      const [one, two, three] = await Promise.all([
        collector.call(request('one'), attribution('t-1')),
        collector.call(request('two'), attribution('src/t2.ts')),
        collector.call(request('three'), attribution('t-3')),
      ]);
      // Turn 2 of t-1 was never submitted: a new wave.
      const again = await collector.call(request('one more'), attribution('t-1'));
      for (const leave of leaves) leave();
      await collector.close();
      await run.close();

      const text = (response: typeof one) =>
        (response.message.content[0] as { type: 'text'; text: string }).text;
      expect([text(one), text(two), text(three), text(again)]).toEqual([
        'answer to one',
        'answer to two',
        'answer to three',
        'answer to one more',
      ]);
      expect(one.entry.batchId).toBe(created.id);
      expect(two.entry.batchId).toBe(created.id);
      expect(one.entry.usage.serviceTier).toBe('batch');
      expect(three.entry.batchId).not.toBe(created.id);
      expect(resumeBatch).toHaveBeenCalledTimes(1);
      expect(resumeBatch.mock.calls[0]![0]).toBe(created.id);
      // The dead process's batch plus one per new wave; the new waves hold only new requests.
      expect(batchCreates(fake)).toHaveLength(3);
      expect(submitted.map((submission) => submission.customIds)).toEqual([
        [subtaskCustomId('t-3', 1, 1, runId)],
        [subtaskCustomId('t-1', 1, 2, runId)],
      ]);
      // Billed once each; every result journaled and on the timeline.
      expect(fake.billing.entries).toHaveLength(4);
      expect(journal.map((entry) => entry.id).sort()).toEqual(
        [one, two, three, again].map((response) => response.entry.id).sort(),
      );
      expect(run.timeline).toHaveLength(4);
      expect(collector.stats.reattached).toBe(2);
    },
  );

  it('a resumed batch-mode run reattaches to the batch and finishes without paying twice', async () => {
    fake = await startScripted(
      {
        worker: (sent) => {
          const word = /Echo (\S+)\./.exec(JSON.stringify(sent.messages[0]))![1]!;
          return reply.toolUse('submit_result', { status: 'done', summary: `Echoed ${word}.` });
        },
      },
      { batchProcessingMs: 10 },
    );
    const words = ['a', 'b', 'c'];
    const options = {
      baseURL: fake.url,
      apiKey: 'test-key',
      mode: 'batch' as const,
      batchPollIntervalMs: 20,
    };
    // The first run submits its wave, then hangs while recording it: as good as dead.
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const records: BatchSubmittedRecord[] = [];
    let submitted!: () => void;
    const wasSubmitted = new Promise<void>((resolve) => {
      submitted = resolve;
    });
    const first = createArmy({
      ...options,
      recorder: {
        batchSubmitted: async (record) => {
          records.push(record);
          submitted();
          await hold;
        },
      },
    });
    const handle = first.map(words, (word) => `Echo ${word}.`);
    await wasSubmitted;

    // A new process resumes the same run with what the journal held.
    const subtasks = words.map((word, index) =>
      planSubtaskSchema.parse({
        id: `item-${index + 1}`,
        title: `Echo ${word}.`,
        brief: { objective: `Echo ${word}.` },
        complexity: 'simple',
      }),
    );
    const resolved = resolveArmyOptions(options);
    const result = await new RunExecution(
      resolved,
      {
        job: 'Map over 3 items',
        plan: { reasoning: '', subtasks },
        planRounds: false,
        synthesize: false,
        resume: { results: [], batches: records, entryIds: [] },
      },
      handle.runId,
    ).run();
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual([
      'Echoed a.',
      'Echoed b.',
      'Echoed c.',
    ]);
    expect(batchCreates(fake)).toHaveLength(1);
    const entries = resolved.gateway.ledger.entries({ runId: handle.runId });
    expect(entries.map((entry) => entry.batchId)).toEqual(words.map(() => records[0]!.batchId));
    expect(result.cost.batchSaving).toBeGreaterThan(0);
    expect(fake.billing.entries).toHaveLength(3);

    // The first process wakes up and collects the same results: the API billed them once.
    release();
    expect((await handle).status).toBe('done');
    expect(fake.billing.entries).toHaveLength(3);
    expect(batchCreates(fake)).toHaveLength(1);
  });
});

describe('first calls sent ahead (BatchCollector.sendAhead)', () => {
  it('answers each run’s first call from one batch sent before the runs start, and lets at most AHEAD_RUN_SLOTS run at once', async () => {
    fake = await startFakeAnthropic({
      latency: 0,
      batchProcessingMs: 10,
      defaultResponder: (sent) => reply.text(`answer to ${lastUserText(sent)}`),
    });
    const runId = 'run-ahead';
    const gateway = createGateway({ baseURL: fake.url, apiKey: 'test-key' });
    const run = new RunGateway(gateway, runId, { recorder: {}, now: Date.now });
    const collector = new BatchCollector({
      runId,
      gateway: run,
      batches: gateway,
      recorder: {},
      batching: true,
      toolTurns: 'batch',
      windowMs: 50,
      pollIntervalMs: 10,
      deadlineAt: undefined,
      now: Date.now,
      signal: new AbortController().signal,
    });
    const count = AHEAD_RUN_SLOTS + 44;
    const ids = Array.from({ length: count }, (_, index) => `t-${index}`);
    const attribution = (taskId: string): Attribution => ({
      runId,
      taskId,
      role: 'worker',
      attempt: 1,
    });
    collector.sendAhead(
      ids.map((taskId) => ({ request: request(taskId), attribution: attribution(taskId) })),
    );
    expect(collector.ahead('t-unknown')).toBeUndefined();
    const { answers, most } = await runAhead(collector, ids, attribution);
    await collector.close();
    await run.close();
    expect(answers).toEqual(ids.map((taskId) => `answer to ${taskId}`));
    expect(most).toBe(AHEAD_RUN_SLOTS);
    // One batch for every first call; none sent again.
    expect(batchCreates(fake)).toHaveLength(1);
    expect(fake.billing.entries).toHaveLength(count);
    expect(gateway.ledger.spent()).toBe(fake.billing.total());
  });
});

describe('first calls a resumed run’s batch holds', () => {
  it('are reattached ahead, not sent again: the resumed runs start as results come in, at most AHEAD_RUN_SLOTS at once', async () => {
    fake = await startFakeAnthropic({
      latency: 0,
      batchProcessingMs: 10,
      defaultResponder: (sent) => reply.text(`answer to ${lastUserText(sent)}`),
    });
    const runId = 'run-resumed-ahead';
    const attribution = (taskId: string): Attribution => ({
      runId,
      taskId,
      role: 'worker',
      attempt: 1,
    });
    const count = AHEAD_RUN_SLOTS + 44;
    const ids = Array.from({ length: count }, (_, index) => `t-${index}`);
    // The interrupted process submitted every first call, journaled the batch, and died.
    const client = new Anthropic({ baseURL: fake.url, apiKey: 'test-key' });
    const created = await client.messages.batches.create({
      requests: ids.map((taskId) => ({
        custom_id: subtaskCustomId(taskId, 1, 1, runId),
        params: request(taskId),
      })),
    });
    const record: BatchSubmittedRecord = {
      runId,
      batchId: created.id,
      customIds: ids.map((taskId) => subtaskCustomId(taskId, 1, 1, runId)),
      attributions: Object.fromEntries(
        ids.map((taskId) => [subtaskCustomId(taskId, 1, 1, runId), attribution(taskId)]),
      ),
      requests: {},
    };
    const gateway = createGateway({ baseURL: fake.url, apiKey: 'test-key' });
    const run = new RunGateway(gateway, runId, { recorder: {}, now: Date.now });
    const collector = new BatchCollector({
      runId,
      gateway: run,
      batches: gateway,
      recorder: {},
      batching: true,
      toolTurns: 'batch',
      windowMs: 50,
      pollIntervalMs: 10,
      deadlineAt: undefined,
      resume: [record],
      journalRequests: false,
      now: Date.now,
      signal: new AbortController().signal,
    });
    const sent = collector.sendAhead(
      ids.map((taskId) => ({ request: request(taskId), attribution: attribution(taskId) })),
    );
    expect([...sent]).toEqual(ids);
    const { answers, most } = await runAhead(collector, ids, attribution);
    await collector.close();
    await run.close();
    expect(answers).toEqual(ids.map((taskId) => `answer to ${taskId}`));
    expect(most).toBe(AHEAD_RUN_SLOTS);
    expect(collector.stats.reattached).toBe(count);
    // Only the interrupted process's batch: nothing was submitted again, every result billed once.
    expect(batchCreates(fake)).toHaveLength(1);
    expect(fake.billing.entries).toHaveLength(count);
    expect(gateway.ledger.spent()).toBe(fake.billing.total());
  });
});
