import { costOf, createGateway } from '@haiku-army/core';
import { createDemoResponders, type FakeAnthropicServer } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createArmy } from '../src/index.js';
import { searchRepo } from './support/fixture-repo.js';
import { reply, startScripted } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const echo = (request: { messages: unknown[] }) => {
  const word = /Echo (\S+)\./.exec(JSON.stringify(request.messages[0]))![1]!;
  return reply.toolUse('submit_result', { status: 'done', summary: `Echoed ${word}.` });
};

function batchCreates(server: FakeAnthropicServer) {
  return server.transcript.entries.filter(
    (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
  );
}

function interactiveWorkerCalls(server: FakeAnthropicServer) {
  return server.transcript.entries.filter(
    (entry) =>
      entry.source !== 'batch' &&
      entry.method === 'POST' &&
      entry.path === '/v1/messages' &&
      JSON.stringify(entry.body).includes('submit_result'),
  );
}

const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`);

describe('batch mode when batch requests fail', () => {
  it('retries errored and expired requests interactively, at the standard price', async () => {
    fake = await startScripted(
      { worker: echo },
      { batchProcessingMs: 10, seed: 3, batchFaults: { errored: 0.2, expired: 0.1 } },
    );
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      mode: 'batch',
      batchPollIntervalMs: 20,
    });
    const result = await army.map(words(60), (word) => `Echo ${word}.`);
    expect(result.status).toBe('done');
    const errored = fake.transcript.entries.filter(
      (entry) => entry.source === 'batch' && entry.status === 500,
    );
    const failed = 60 - fake.billing.entries.filter((entry) => entry.batchId).length;
    // Some errored, some expired.
    expect(errored.length).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(errored.length);
    const entries = army.ledger.entries({ runId: result.runId });
    const interactive = entries.filter((entry) => entry.batchId === undefined);
    expect(interactive).toHaveLength(failed);
    expect(interactiveWorkerCalls(fake)).toHaveLength(failed);
    for (const entry of interactive) {
      expect(entry.usage.serviceTier).toBe('standard');
      expect(entry.cost).toEqual(costOf(entry.model, entry.usage));
    }
    // Every item billed once by the fake, the ledger equal to the bill.
    expect(fake.billing.entries).toHaveLength(60);
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('cancels what has not ended at batchDeadlineMs and runs it interactively', async () => {
    fake = await startScripted({ worker: echo }, { batchProcessingMs: 600_000 });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      mode: 'batch',
      batchPollIntervalMs: 20,
      batchDeadlineMs: 300,
    });
    const result = await army.map(words(5), (word) => `Echo ${word}.`);
    expect(result.status).toBe('done');
    expect(batchCreates(fake)).toHaveLength(1);
    expect(
      fake.transcript.entries.some(
        (entry) => entry.method === 'POST' && /cancel$/.test(entry.path),
      ),
    ).toBe(true);
    expect(interactiveWorkerCalls(fake)).toHaveLength(5);
    expect(army.ledger.entries({ runId: result.runId }).every((entry) => !entry.batchId)).toBe(
      true,
    );
    expect(result.cost.batchSaving).toBe(0);
  });

  it('sends later waves interactively once the deadline has passed', async () => {
    const demo = createDemoResponders();
    let offset = 0;
    fake = await startScripted(
      {
        // The first wave's processing moves the army's clock past its deadline.
        worker: (request, context) => {
          offset = 3_600_000;
          return demo.responders.worker(request, context);
        },
      },
      { batchProcessingMs: 10 },
    );
    const { root } = searchRepo(9, 3);
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
      mode: 'batch',
      batchPollIntervalMs: 20,
      batchDeadlineMs: 60_000,
      now: () => Date.now() + offset,
    });
    const result = await army.run('find every place that calls "retryCall"');
    expect(result.status).toBe('done');
    const subtasks = result.subtasks.length;
    expect(batchCreates(fake)).toHaveLength(1);
    expect(interactiveWorkerCalls(fake)).toHaveLength(2 * subtasks);
  });

  it('does not retry a maybe_submitted request blind', async () => {
    fake = await startScripted({ worker: echo }, { batchProcessingMs: 10 });
    const lossy: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      const path = new URL(url).pathname;
      if (path === '/v1/messages/batches' && method === 'POST') {
        await fetch(input, init); // the API creates the batch, the answer is lost
        throw new TypeError('fetch failed');
      }
      if (path === '/v1/messages/batches' && method === 'GET') throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const gateway = createGateway({
      baseURL: fake.url,
      apiKey: 'test-key',
      fetch: lossy,
      maxAttempts: 2,
      retryBaseDelayMs: 1,
    });
    const army = createArmy({ gateway, mode: 'batch', batchPollIntervalMs: 20 });
    const result = await army.map(['a', 'b'], (word) => `Echo ${word}.`);
    // A first run fails such a subtask and goes on (a resumed run would stop, to look again later).
    expect(result.status).toBe('failed');
    for (const subtask of result.subtasks) {
      expect(subtask.status).toBe('failed');
      expect(subtask.code).toBe('BATCH_MAYBE_SUBMITTED');
      expect(subtask.attempts).toHaveLength(1);
      expect(subtask.reason).toMatch(/may have been submitted and billed/);
    }
    expect(batchCreates(fake)).toHaveLength(1);
    expect(interactiveWorkerCalls(fake)).toHaveLength(0);
  });

  it('a cancelled run stops its batch and ends cancelled', async () => {
    fake = await startScripted({ worker: echo }, { batchProcessingMs: 600_000 });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      mode: 'batch',
      batchPollIntervalMs: 20,
    });
    const controller = new AbortController();
    army.events.on('batch:submitted', () => setTimeout(() => controller.abort(), 50));
    const result = await army.map(words(4), (word) => `Echo ${word}.`, {
      signal: controller.signal,
    });
    expect(result.status).toBe('cancelled');
    expect(result.subtasks.every((subtask) => subtask.status === 'cancelled')).toBe(true);
    // Core cancels the batch as it stops waiting (the run does not wait for that).
    await vi.waitFor(
      () =>
        expect(
          fake!.transcript.entries.some(
            (entry) => entry.method === 'POST' && /cancel$/.test(entry.path),
          ),
        ).toBe(true),
      { timeout: 10_000 },
    );
    expect(interactiveWorkerCalls(fake)).toHaveLength(0);
  });
});
