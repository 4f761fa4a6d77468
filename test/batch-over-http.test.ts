import Anthropic from '@anthropic-ai/sdk';
import {
  BatchBudgetExceededError,
  type BatchEndedEvent,
  type BatchItem,
  type BatchOutcome,
  type BatchProgressEvent,
  type BatchSubmittedEvent,
  Budget,
  CostLedger,
  costOf,
  createEvents,
  createGateway,
  ERROR_CODES,
  getModel,
  usd,
} from '@haiku-army/core';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Three cacheable system prompts of odd token counts (cache writes at 125 nano-USD/token round at 50%). */
const SYSTEMS = [513, 601, 777].map((tokens) => 'word '.repeat(tokens).trim());

function item(index: number, runId = 'run-b'): BatchItem {
  const cached = index % 5 === 0;
  const system = SYSTEMS[index % 3] as string;
  return {
    request: {
      model: index % 7 === 0 ? 'claude-sonnet-4-6' : 'claude-haiku-5-5',
      max_tokens: 200,
      ...(cached
        ? { system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }] }
        : {}),
      messages: [
        { role: 'user', content: `Classify ticket ${index}: ${'printer jam '.repeat(index % 11)}` },
      ],
    },
    attribution: { runId, taskId: `ticket-${index}`, parentTaskId: 'plan', role: 'classifier' },
  };
}

/** Half of each line item, rounded up: priced from the catalog by hand, not by costOf. */
function batchPriceByHand(model: string, usage: Anthropic.Usage): number {
  const prices = getModel(model).prices;
  const half = (tokens: number, price: number) => Math.ceil((tokens * price) / 2);
  const written5m = usage.cache_creation?.ephemeral_5m_input_tokens ?? 0;
  const written1h = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  return (
    half(usage.input_tokens, prices.input) +
    half(usage.output_tokens, prices.output) +
    half(written5m, prices.cacheWrite5m) +
    half(written1h, prices.cacheWrite1h) +
    half(usage.cache_read_input_tokens ?? 0, prices.cacheRead)
  );
}

function batchCreates(server: FakeAnthropicServer) {
  return server.transcript.entries.filter(
    (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
  );
}

describe('gateway.batch against the fake API over HTTP', () => {
  it('300 items: every item ends, the ledger equals the bill and costOf at the batch tier to the nano-dollar', async () => {
    fake = await startFakeAnthropic({
      batchProcessingMs: 20,
      defaultResponder: (request) =>
        reply.text(`label ${JSON.stringify(request.messages.at(-1)?.content).length % 4} ok`),
    });
    const events = createEvents();
    const submitted: BatchSubmittedEvent[] = [];
    const progress: BatchProgressEvent[] = [];
    const ended: BatchEndedEvent[] = [];
    events.on('batch:submitted', (event) => submitted.push(event));
    events.on('batch:progress', (event) => progress.push(event));
    events.on('batch:ended', (event) => ended.push(event));
    const ledger = new CostLedger();
    const budget = new Budget({ limits: { run: usd(5) } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      ledger,
      budget,
      events,
    });
    const items = Array.from({ length: 300 }, (_, index) => item(index));
    const persisted: string[][] = [];
    const run = gateway.batch(items, {
      maxRequestsPerBatch: 120,
      pollIntervalMs: 5,
      onSubmitted: ({ customIds }) => {
        persisted.push(customIds);
      },
    });
    const streamed: BatchOutcome[] = [];
    for await (const outcome of run) streamed.push(outcome);
    const result = await run.result;

    expect(streamed).toHaveLength(300);
    expect(result.counts).toMatchObject({ succeeded: 300, errored: 0, canceled: 0, expired: 0 });
    expect(new Set(streamed.map((outcome) => outcome.customId)).size).toBe(300);
    // 120 + 120 + 60, each created once.
    expect(submitted.map((event) => event.requests)).toEqual([120, 120, 60]);
    expect(batchCreates(fake)).toHaveLength(3);
    expect(persisted.map((ids) => ids.length)).toEqual([120, 120, 60]);
    expect(ended.map((event) => event.batchId)).toEqual(result.batchIds);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const lastProgress = progress.filter((event) => event.batchId === result.batchIds[2]).at(-1);
    expect(lastProgress).toMatchObject({ status: 'ended', requestCounts: { succeeded: 60 } });

    const entries = ledger.entries();
    expect(entries).toHaveLength(300);
    expect(fake.billing.entries).toHaveLength(300);
    const billed = fake.billing.total();
    expect(ledger.spent()).toBe(billed);
    expect(result.cost).toBe(billed);
    expect(ended.reduce((sum, event) => sum + event.cost, 0)).toBe(billed);
    let byCostOf = 0;
    let byHand = 0;
    let oddWrites = 0;
    for (const outcome of streamed) {
      if (outcome.status !== 'succeeded') throw new Error(`unexpected ${outcome.status}`);
      const usage = outcome.message.usage;
      expect(usage.service_tier).toBe('batch');
      const model = outcome.entry.model;
      byCostOf += costOf(model, { ...usage, service_tier: 'batch' }).total;
      byHand += batchPriceByHand(model, usage);
      if ((usage.cache_creation_input_tokens ?? 0) % 2 === 1) oddWrites += 1;
      expect(outcome.entry).toMatchObject({
        taskId: outcome.attribution.taskId,
        batchId: outcome.batchId,
        parentTaskId: 'plan',
      });
      expect(outcome.entry.usage.serviceTier).toBe('batch');
    }
    expect(oddWrites).toBeGreaterThan(0); // the half-nano rounding was exercised
    expect(byCostOf).toBe(billed);
    expect(byHand).toBe(billed);
    // Settled exactly: nothing left reserved, spend is the bill.
    expect(budget.status('run', 'run-b')).toMatchObject({ spent: billed, reserved: 0 });
  });

  it('refuses a batch that does not fit the budget before any request reaches the fake', async () => {
    fake = await startFakeAnthropic({ batchProcessingMs: 5 });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      budget: new Budget({ limits: { run: usd(0.1) } }),
    });
    const items = Array.from({ length: 50 }, (_, index) => ({
      request: { ...item(1).request, max_tokens: 20_000 },
      attribution: { runId: 'run-small', taskId: `t-${index}`, role: 'worker' },
    }));
    const perItem = Math.ceil((gateway.worstCase(items[0]!.request) + 5) / 2);
    const fits = Math.floor(usd(0.1) / perItem);
    expect(fits).toBeGreaterThan(0);
    expect(fits).toBeLessThan(50);
    let error: unknown;
    try {
      gateway.batch(items);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BatchBudgetExceededError);
    expect(error).toMatchObject({
      code: ERROR_CODES.BUDGET_EXCEEDED,
      itemsThatFit: fits,
      items: 50,
    });
    expect((error as Error).message).toContain(`only the first ${fits} would fit`);
    expect(fake.transcript.entries).toHaveLength(0);
    expect(gateway.budget?.status('run', 'run-small')).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('errored and expired requests come back as failures, never billed, their reservations released', async () => {
    fake = await startFakeAnthropic({
      batchProcessingMs: 5,
      defaultResponder: (request) => {
        const text = JSON.stringify(request.messages[0]?.content);
        if (text.includes('ticket 3:')) return reply.error({ status: 400, message: 'bad ticket' });
        if (text.includes('ticket 4:')) return reply.expired();
        return 'ok';
      },
    });
    const budget = new Budget({ limits: { run: usd(1) } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      budget,
    });
    const result = await gateway.batch(
      Array.from({ length: 6 }, (_, index) => item(index, 'run-f')),
      { pollIntervalMs: 2 },
    ).result;
    expect(result.counts).toMatchObject({ succeeded: 4, errored: 1, expired: 1 });
    const errored = result.outcomes.find((outcome) => outcome.status === 'errored');
    expect(errored).toMatchObject({
      attribution: { taskId: 'ticket-3' },
      error: { type: 'invalid_request_error', message: 'bad ticket' },
    });
    expect(errored && 'request' in errored && errored.request).toBeTruthy();
    expect(gateway.ledger.entries()).toHaveLength(4);
    expect(gateway.ledger.spent()).toBe(fake.billing.total());
    expect(budget.status('run', 'run-f')).toMatchObject({
      spent: fake.billing.total(),
      reserved: 0,
    });
  });

  it('after deadlineMs it cancels the batches and returns what ended, unbilled', async () => {
    fake = await startFakeAnthropic({ batchProcessingMs: 60_000 });
    const budget = new Budget({ limits: { run: usd(1) } });
    const events = createEvents();
    const ended: BatchEndedEvent[] = [];
    events.on('batch:ended', (event) => ended.push(event));
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      budget,
      events,
    });
    const result = await gateway.batch(
      Array.from({ length: 10 }, (_, index) => item(index, 'run-d')),
      { pollIntervalMs: 5, deadlineMs: 20, maxRequestsPerBatch: 4 },
    ).result;
    expect(result.deadlineReached).toBe(true);
    expect(result.counts).toMatchObject({ canceled: 10, succeeded: 0 });
    expect(ended).toHaveLength(3);
    expect(ended.every((event) => event.canceled)).toBe(true);
    const cancels = fake.transcript.entries.filter((entry) => entry.path.endsWith('/cancel'));
    expect(cancels).toHaveLength(3);
    expect(fake.billing.entries).toHaveLength(0);
    expect(budget.status('run', 'run-d')).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('an abort cancels its batches and keeps them reserved until resumeBatch collects them', async () => {
    fake = await startFakeAnthropic({ batchProcessingMs: 60_000 });
    const budget = new Budget({ limits: { run: usd(1) } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      budget,
    });
    const controller = new AbortController();
    let submission: { batchId: string; attributions: Record<string, unknown> } | undefined;
    const run = gateway.batch(
      Array.from({ length: 5 }, (_, index) => item(index, 'run-a')),
      {
        pollIntervalMs: 5,
        signal: controller.signal,
        onSubmitted: (submitted) => {
          submission = submitted;
          controller.abort();
        },
      },
    );
    await expect(run.result).rejects.toMatchObject({ code: ERROR_CODES.ABORTED });
    expect(submission).toBeDefined();
    expect(fake.transcript.entries.filter((entry) => entry.path.endsWith('/cancel'))).toHaveLength(
      1,
    );
    const held = budget.status('run', 'run-a');
    expect(held?.reserved).toBeGreaterThan(0);

    const resumed = await gateway.resumeBatch(
      submission!.batchId,
      submission!.attributions as never,
      { pollIntervalMs: 5 },
    ).result;
    expect(resumed.counts).toMatchObject({ canceled: 5 });
    expect(budget.status('run', 'run-a')).toMatchObject({ spent: 0, reserved: 0 });
    expect(batchCreates(fake)).toHaveLength(1);
  });

  it('retries transient failures of the batch calls, but never re-sends a create lost on the wire', async () => {
    fake = await startFakeAnthropic({ batchProcessingMs: 5 });
    const failures = { create: 1, retrieve: 1, results: 1, lostCreate: 0 };
    const seen = { create: 0 };
    const overloaded = () =>
      new Response(
        JSON.stringify({
          type: 'error',
          error: { type: 'overloaded_error', message: 'Overloaded' },
        }),
        { status: 529, headers: { 'content-type': 'application/json' } },
      );
    const flaky: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      if (method === 'POST' && url.endsWith('/v1/messages/batches')) {
        seen.create += 1;
        if (failures.lostCreate-- > 0) throw new TypeError('fetch failed');
        if (failures.create-- > 0) return overloaded();
      }
      if (method === 'GET' && /batches\/[^/]+$/.test(url) && failures.retrieve-- > 0)
        return overloaded();
      if (method === 'GET' && url.endsWith('/results') && failures.results-- > 0)
        throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const budget = new Budget({ limits: { run: usd(1) } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url, fetch: flaky }),
      budget,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 2,
    });
    const items = Array.from({ length: 4 }, (_, index) => item(index, 'run-t'));
    const result = await gateway.batch(items, { pollIntervalMs: 2 }).result;
    expect(result.counts.succeeded).toBe(4);
    // Each injected failure was hit once and then retried.
    expect(failures).toMatchObject({ create: -1, retrieve: expect.any(Number) });
    expect(failures.retrieve).toBeLessThan(0);
    expect(failures.results).toBeLessThan(0);
    expect(seen.create).toBe(2); // the 529 was retried...
    expect(batchCreates(fake)).toHaveLength(1); // ...and the fake saw one create
    expect(gateway.ledger.spent()).toBe(fake.billing.total());

    // A create whose connection failed may have reached the API: not re-sent.
    failures.lostCreate = 1;
    seen.create = 0;
    const lost = await gateway.batch(
      items.map((one, index) => ({
        ...one,
        attribution: { ...one.attribution, attempt: 2 + index },
      })),
      { pollIntervalMs: 2 },
    ).result;
    expect(seen.create).toBe(1);
    expect(lost.counts.not_submitted).toBe(4);
    expect(lost.outcomes[0]).toMatchObject({
      status: 'not_submitted',
      error: { code: ERROR_CODES.API_UNAVAILABLE },
    });
    expect(budget.status('run', 'run-t')).toMatchObject({
      spent: fake.billing.total(),
      reserved: 0,
    });
  });

  it('resumeBatch with an id the API does not know fails with BATCH_NOT_FOUND', async () => {
    fake = await startFakeAnthropic();
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
    });
    const run = gateway.resumeBatch('msgbatch_nope', {}, { pollIntervalMs: 5 });
    await expect(run.result).rejects.toMatchObject({
      code: ERROR_CODES.BATCH_NOT_FOUND,
      message: expect.stringContaining('msgbatch_nope'),
    });
  });
});
