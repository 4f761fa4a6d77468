import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it, vi } from 'vitest';
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

describe('a create whose id was never persisted (onCreating, then reconcileBatch in a new process)', () => {
  const ids = { 'run-1_a_1': item('a').attribution, 'run-1_b_1': item('b').attribution };

  it('awaits onCreating before the create and passes what reconcileBatch needs', async () => {
    const { api, gateway } = setup();
    const seen: { customIds: string[]; at: number; posts: number }[] = [];
    const run = gateway.batch([item('a'), item('b')], {
      ...fast,
      onCreating: async ({ customIds, attributions, at }) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(Object.keys(attributions)).toEqual(customIds);
        seen.push({ customIds, at, posts: api.batches.length });
      },
    });
    setTimeout(() => api.end(), 20);
    await run.result;
    expect(seen).toEqual([
      { customIds: ['run-1_a_1', 'run-1_b_1'], at: expect.any(Number), posts: 0 },
    ]);
  });

  it('a failing onCreating sends nothing: not_submitted, reservations released', async () => {
    const { api, budget, gateway } = setup();
    const result = await gateway.batch([item('a')], {
      ...fast,
      onCreating: () => {
        throw new Error('disk full');
      },
    }).result;
    expect(result.counts).toMatchObject({ not_submitted: 1 });
    expect(String((result.outcomes[0] as { error: Error }).error.message)).toContain('disk full');
    expect(api.batches).toHaveLength(0);
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
  });

  it('finds the batch the dead process created and collects it, billed once, with nothing created', async () => {
    const { api, gateway } = setup();
    let at = 0;
    // The first process: the create goes out, then it dies before onSubmitted could persist the id.
    void gateway.batch([item('a'), item('b')], {
      ...fast,
      onCreating: (creating) => {
        at = creating.at;
      },
    });
    await vi.waitFor(() => expect(api.batches).toHaveLength(1));
    // A batch of another size made since then is not a candidate.
    void gateway.batch([item('c')], fast);
    await vi.waitFor(() => expect(api.batches).toHaveLength(2));
    const budget = new Budget({ limits: { run: usd(10) } });
    const again = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
      budget,
    });
    const adopted: string[] = [];
    const run = again.reconcileBatch(ids, {
      ...fast,
      since: at,
      requestsByCustomId: { 'run-1_a_1': item('a').request, 'run-1_b_1': item('b').request },
      onSubmitted: ({ batchId }) => {
        adopted.push(batchId);
      },
    });
    await vi.waitFor(() => expect(adopted).toEqual(['msgbatch_1']));
    expect(budget.status('run', 'run-1')!.reserved).toBeGreaterThan(0);
    api.end();
    const result = await run.result;
    expect(result.counts).toMatchObject({ succeeded: 2, not_submitted: 0 });
    expect(api.log.filter((line) => line === 'POST /v1/messages/batches')).toHaveLength(2);
    expect(again.ledger.entries()).toHaveLength(2);
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: result.cost });
  });

  it('an excluded or too old batch is not taken: every request comes back not_submitted', async () => {
    const { api, budget, gateway } = setup();
    void gateway.batch([item('a'), item('b')], fast);
    await vi.waitFor(() => expect(api.batches).toHaveLength(1));
    const excluded = await gateway.reconcileBatch(ids, {
      ...fast,
      since: Date.now(),
      exclude: ['msgbatch_1'],
    }).result;
    expect(excluded.counts).toMatchObject({ not_submitted: 2, succeeded: 0 });
    const fresh = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
      budget,
    });
    const old = await fresh.reconcileBatch(ids, { ...fast, since: Date.now() + 3_600_000 }).result;
    expect(old.counts).toMatchObject({ not_submitted: 2 });
    expect(() => fresh.reconcileBatch(ids, { ...fast, since: Number.NaN })).toThrow(/since/);
  });

  it('a list that keeps failing rejects the run and gives back what it reserved', async () => {
    const { api, budget, gateway } = setup();
    api.failLists = 5;
    const run = gateway.reconcileBatch(ids, {
      ...fast,
      since: Date.now(),
      requestsByCustomId: { 'run-1_a_1': item('a').request, 'run-1_b_1': item('b').request },
    });
    await expect(run.result).rejects.toMatchObject({ code: 'API_UNAVAILABLE' });
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
  });

  it("two lost creates of one size are each found (one adopting the other's batch hides nothing)", async () => {
    const { api, gateway } = setup();
    const at = Date.now();
    void gateway.batch([item('a'), item('b')], fast);
    void gateway.batch([item('c'), item('d')], fast);
    await vi.waitFor(() => expect(api.batches).toHaveLength(2));
    const fresh = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
    });
    const first = fresh.reconcileBatch(ids, { ...fast, since: at });
    const second = fresh.reconcileBatch(
      { 'run-1_c_1': item('c').attribution, 'run-1_d_1': item('d').attribution },
      { ...fast, since: at },
    );
    setTimeout(() => api.end(), 20);
    const [one, two] = await Promise.all([first.result, second.result]);
    expect(one.counts).toMatchObject({ succeeded: 2, not_submitted: 0 });
    expect(two.counts).toMatchObject({ succeeded: 2, not_submitted: 0 });
    expect(fresh.ledger.entries()).toHaveLength(4);
  });

  it('a batch created long after the lost create is not a candidate', async () => {
    const { api, gateway } = setup();
    const at = api.now;
    api.now = at + 20 * 60_000;
    void gateway.batch([item('a'), item('b')], fast);
    await vi.waitFor(() => expect(api.batches).toHaveLength(1));
    const fresh = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
    });
    const result = await fresh.reconcileBatch(ids, { ...fast, since: at }).result;
    expect(result.counts).toMatchObject({ not_submitted: 2 });
  });

  it("aborted while waiting: a candidate (maybe someone else's) is not cancelled and nothing stays reserved", async () => {
    const { api, gateway } = setup();
    void gateway.batch([item('a'), item('b')], fast);
    await vi.waitFor(() => expect(api.batches).toHaveLength(1));
    const budget = new Budget({ limits: { run: usd(10) } });
    const fresh = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
      budget,
    });
    const controller = new AbortController();
    const run = fresh.reconcileBatch(ids, {
      ...fast,
      since: Date.now(),
      signal: controller.signal,
      requestsByCustomId: { 'run-1_a_1': item('a').request, 'run-1_b_1': item('b').request },
      onSubmitted: () => {
        setTimeout(() => controller.abort(), 5);
      },
    });
    await expect(run.result).rejects.toMatchObject({ code: 'ABORTED' });
    expect(api.log.some((line) => line.endsWith('/cancel'))).toBe(false);
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
  });
});
