import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { type BatchItem, Budget, createGateway, usd } from '../src/index.js';
import { BATCH_BASE_URL, miniBatches } from './support/mini-batches.js';

function item(taskId: string): BatchItem {
  return {
    request: {
      model: 'claude-haiku-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: `Task ${taskId}` }],
    },
    attribution: { runId: 'run-1', taskId, role: 'worker' },
  };
}

function setup() {
  const api = miniBatches();
  const budget = new Budget({ limits: { run: usd(10) } });
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
    budget,
    maxAttempts: 2,
    retryBaseDelayMs: 1,
  });
  return { api, budget, gateway };
}

const fast = { pollIntervalMs: 1, maxPollIntervalMs: 1 };

describe('a batch create lost on the wire', () => {
  it('finds the created batch in the list and collects it, billed once, never not_submitted', async () => {
    const { api, budget, gateway } = setup();
    api.dropAfterCreate = 1;
    const run = gateway.batch([item('a'), item('b')], fast);
    setTimeout(() => api.end(), 20);
    const result = await run.result;
    expect(result.counts).toMatchObject({ succeeded: 2, not_submitted: 0, maybe_submitted: 0 });
    expect(api.log.filter((line) => line === 'POST /v1/messages/batches')).toHaveLength(1);
    expect(result.batchIds).toEqual(['msgbatch_1']);
    expect(gateway.ledger.entries()).toHaveLength(2);
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: result.cost });
  });

  it('releases and offers for retry only when the list shows no such batch', async () => {
    const { api, budget, gateway } = setup();
    api.dropAfterCreate = 1;
    // The API lost it: drop the batch it created from its list.
    const original = api.fetch;
    api.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = original(input, init);
      api.batches.length = 0;
      return response;
    }) as typeof fetch;
    const gateway2 = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
      budget,
      maxAttempts: 2,
    });
    void gateway;
    const result = await gateway2.batch([item('a')], fast).result;
    expect(result.counts).toMatchObject({ not_submitted: 1, maybe_submitted: 0 });
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
  });

  it('keeps the reservations held and says maybe_submitted when the list fails', async () => {
    const { api, budget, gateway } = setup();
    api.dropAfterCreate = 1;
    api.failLists = 5;
    const result = await gateway.batch([item('a'), item('b')], fast).result;
    expect(result.counts).toMatchObject({ maybe_submitted: 2, not_submitted: 0 });
    expect(budget.status('run', 'run-1')!.reserved).toBeGreaterThan(0);
  });

  it('aborted mid-create: cancels the batch the API made and keeps it for resumeBatch', async () => {
    const { api, budget, gateway } = setup();
    const controller = new AbortController();
    const original = api.fetch;
    api.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await original(input, init);
      if ((init?.method ?? 'GET') === 'POST' && String(input).endsWith('/batches')) {
        controller.abort(); // the batch exists, but the caller gave up before the answer
        throw new DOMException('This operation was aborted', 'AbortError');
      }
      return response;
    }) as typeof fetch;
    const aborting = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
      budget,
    });
    void gateway;
    const submitted: string[] = [];
    const run = aborting.batch([item('a'), item('b')], {
      ...fast,
      signal: controller.signal,
      onSubmitted: ({ batchId }) => {
        submitted.push(batchId);
      },
    });
    await expect(run.result).rejects.toMatchObject({ code: 'ABORTED' });
    expect(submitted).toEqual(['msgbatch_1']);
    expect(api.log).toContain('POST /v1/messages/batches/msgbatch_1/cancel');
    const held = budget.status('run', 'run-1')!.reserved;
    expect(held).toBeGreaterThan(0);
    const resumed = await aborting.resumeBatch(
      'msgbatch_1',
      { 'run-1_a_1': item('a').attribution, 'run-1_b_1': item('b').attribution },
      fast,
    ).result;
    expect(resumed.counts.canceled).toBe(2);
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
  });
});
