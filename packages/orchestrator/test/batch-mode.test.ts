import { costOf, createGateway, type LedgerEntry, type ModelGateway } from '@haiku-army/core';
import type { FakeAnthropicServer } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { afterEach, describe, expect, it } from 'vitest';
import { type BatchSubmittedRecord, createArmy, subtaskCustomId } from '../src/index.js';
import { startFake } from './support/fake.js';
import { searchRepo } from './support/fixture-repo.js';
import { reply, startScripted } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A worker that submits at once, naming the word its brief asks about. */
const echoWorker = (options: Parameters<typeof startScripted>[1] = {}) =>
  startScripted(
    {
      worker: (request) => {
        const word = /Echo (\S+)\./.exec(JSON.stringify(request.messages[0]))![1]!;
        return reply.toolUse('submit_result', {
          status: 'done',
          summary: `Echoed ${word}.`,
          data: { word },
        });
      },
    },
    { batchProcessingMs: 10, ...options },
  );

function batchCreates(server: FakeAnthropicServer) {
  return server.transcript.entries.filter(
    (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
  );
}

/** Worker requests the fake answered one by one (not in a batch). */
function interactiveWorkerCalls(server: FakeAnthropicServer) {
  return server.transcript.entries.filter(
    (entry) =>
      entry.source !== 'batch' &&
      entry.method === 'POST' &&
      entry.path === '/v1/messages' &&
      JSON.stringify(entry.body).includes('submit_result'),
  );
}

/** The batch requests of each batch, in creation order (custom ids). */
function waves(server: FakeAnthropicServer): number[] {
  return batchCreates(server).map(
    (entry) => (entry.body as { requests: unknown[] }).requests.length,
  );
}

function standardPrice(entry: LedgerEntry): number {
  return costOf(entry.model, { ...entry.usage, serviceTier: 'standard' }).total;
}

describe("mode: 'batch'", () => {
  it('sends a map as one batch at the batch tier and reports the saving', async () => {
    fake = await echoWorker();
    const records: BatchSubmittedRecord[] = [];
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      mode: 'batch',
      batchPollIntervalMs: 20,
      recorder: { batchSubmitted: (record) => void records.push(record) },
    });
    const words = Array.from({ length: 30 }, (_, index) => `w${index}`);
    const result = await army.map(words, (word) => `Echo ${word}.`);
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.summary)).toEqual(
      words.map((word) => `Echoed ${word}.`),
    );
    expect(waves(fake)).toEqual([30]);
    expect(interactiveWorkerCalls(fake)).toHaveLength(0);
    const entries = army.ledger.entries({ runId: result.runId });
    expect(entries).toHaveLength(30);
    for (const entry of entries) {
      expect(entry.batchId).toBe(records[0]!.batchId);
      expect(entry.usage.serviceTier).toBe('batch');
      expect(entry.cost).toEqual(costOf(entry.model, entry.usage));
    }
    expect(result.cost.batchSaving).toBe(
      entries.reduce((sum, entry) => sum + standardPrice(entry) - entry.cost.total, 0),
    );
    expect(result.cost.batchSaving).toBeGreaterThan(0);
    expect(result.cost.total).toBe(fake.billing.total());
    // The recorder got the batch with each request under its custom id.
    expect(records).toHaveLength(1);
    expect(records[0]!.runId).toBe(result.runId);
    expect(records[0]!.customIds.sort()).toEqual(
      words.map((_, i) => subtaskCustomId(`item-${i + 1}`, 1, 1, result.runId)).sort(),
    );
    expect(records[0]!.customIds[0]).toMatch(/^item-\d+_1_1_[0-9a-f]{8}$/);
    expect(Object.keys(records[0]!.requests).sort()).toEqual(records[0]!.customIds.sort());
    expect(records[0]!.attributions[subtaskCustomId('item-3', 1, 1, result.runId)]).toMatchObject({
      runId: result.runId,
      taskId: 'item-3',
      role: 'worker',
      attempt: 1,
    });
    // Every batched call is on the timeline.
    expect(result.timeline.filter((call) => call.role === 'worker')).toHaveLength(30);
  });

  it('runs tool turns as successive waves, planner and synthesizer interactively', async () => {
    fake = await startFake({ batchProcessingMs: 10 });
    const { root, planted } = searchRepo(12, 3);
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
      mode: 'batch',
      batchPollIntervalMs: 20,
    });
    const result = await army.run('find every place that calls "retryCall"');
    expect(result.status).toBe('done');
    for (const path of planted) expect(result.answer).toContain(path);
    const subtasks = result.subtasks.length;
    // grep, read_file, submit_result: three waves of every subtask.
    expect(waves(fake)).toEqual([subtasks, subtasks, subtasks]);
    expect(interactiveWorkerCalls(fake)).toHaveLength(0);
    const entries = army.ledger.entries({ runId: result.runId });
    for (const entry of entries) expect(entry.batchId !== undefined).toBe(entry.role === 'worker');
    expect(entries.filter((entry) => entry.role === 'worker')).toHaveLength(3 * subtasks);
  });

  it("with batchToolTurns: 'interactive', batches only each worker's first turn", async () => {
    fake = await startFake({ batchProcessingMs: 10 });
    const { root } = searchRepo(12, 3);
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
      mode: 'batch',
      batchToolTurns: 'interactive',
      batchPollIntervalMs: 20,
    });
    const result = await army.run('find every place that calls "retryCall"');
    expect(result.status).toBe('done');
    const subtasks = result.subtasks.length;
    expect(waves(fake)).toEqual([subtasks]);
    expect(interactiveWorkerCalls(fake)).toHaveLength(2 * subtasks);
    const workers = army.ledger.entries({ runId: result.runId, role: 'worker' });
    expect(workers.filter((entry) => entry.batchId !== undefined)).toHaveLength(subtasks);
  });

  it('a per-run mode overrides the army’s', async () => {
    fake = await echoWorker();
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', batchPollIntervalMs: 20 });
    const interactive = await army.map(['a', 'b'], (word) => `Echo ${word}.`);
    expect(interactive.cost.batchSaving).toBe(0);
    expect(waves(fake)).toEqual([]);
    const batched = await army.map(['a', 'b'], (word) => `Echo ${word}.`, { mode: 'batch' });
    expect(waves(fake)).toEqual([2]);
    expect(batched.cost.total * 2).toBeGreaterThanOrEqual(interactive.cost.total);
    expect(batched.cost.batchSaving).toBeGreaterThan(0);
  });

  it('needs a gateway that batches, and says so naming mode', async () => {
    const inner = createGateway({ apiKey: 'k', baseURL: 'http://127.0.0.1:9' });
    const plain: ModelGateway = {
      call: (...args) => inner.call(...args),
      stream: (...args) => inner.stream(...args),
      worstCase: (request) => inner.worstCase(request),
      countTokens: (...args) => inner.countTokens(...args),
      events: inner.events,
      ledger: inner.ledger,
      catalog: inner.catalog,
      budget: inner.budget,
    };
    expect(() => createArmy({ gateway: plain, mode: 'batch' })).toThrow(/`mode: 'batch'`/);
    const army = createArmy({ gateway: plain });
    await expect(
      army.map(['a'], (word) => `Echo ${word}.`, { mode: 'batch' }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/mode/) });
    expect(() => createArmy({ mode: 'bulk' as never })).toThrow(/mode/);
    expect(() => createArmy({ batchWindowMs: -1 })).toThrow(/batchWindowMs/);
    expect(() => createArmy({ batchToolTurns: 'never' as never })).toThrow(/batchToolTurns/);
    expect(() => createArmy({ batchPollIntervalMs: 0 })).toThrow(/batchPollIntervalMs/);
    expect(() => createArmy({ batchDeadlineMs: Number.NaN })).toThrow(/batchDeadlineMs/);
  });
});
