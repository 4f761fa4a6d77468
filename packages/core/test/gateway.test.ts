import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortError,
  ApiCallError,
  Budget,
  BudgetExceededError,
  type CallRetryEvent,
  CostLedger,
  costOf,
  createEvents,
  createGateway,
  type Gateway,
  type GatewayStreamEvent,
  LedgerStoreError,
  RateLimiter,
} from '../src/index.js';
import { BASE_URL, createMiniApi } from './support/mini-api.js';

const api = createMiniApi();
const attribution = { runId: 'run-1', taskId: 'task-1', role: 'worker' } as const;
const request = {
  model: 'claude-haiku-5-5',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'Find TODOs' }],
};

function gatewayWith(options: Parameters<typeof createGateway>[0] = {}): Gateway {
  // The SDK captures fetch when it is built, so build it after msw listens.
  const client = new Anthropic({ apiKey: 'test-key', baseURL: BASE_URL });
  return createGateway({ client, retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...options });
}

beforeAll(() => api.listen());
afterAll(() => api.close());
beforeEach(() => {
  api.queue.length = 0;
  api.requests.length = 0;
});
afterEach(() => expect(api.queue).toEqual([]));

describe('Gateway', () => {
  it('records the real usage, priced exactly, attributed to the task', async () => {
    const ledger = new CostLedger();
    const events = createEvents();
    const ends: unknown[] = [];
    events.on('call:end', (event) => ends.push(event));
    api.queue.push({ kind: 'ok', input: 1_234, output: 56, cacheRead: 700 });
    const gateway = gatewayWith({ ledger, events });
    const response = await gateway.call(request, attribution);
    expect(response.message.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(response.attempts).toBe(1);
    expect(response.requestId).toBe('req_1');
    expect(ledger.entries()).toHaveLength(1);
    expect(ledger.entries()[0]).toMatchObject({
      runId: 'run-1',
      taskId: 'task-1',
      role: 'worker',
      model: 'claude-haiku-5-5',
      requestId: 'req_1',
      retries: 0,
    });
    expect(response.cost).toEqual(
      costOf('claude-haiku-5-5', {
        input_tokens: 1_234,
        output_tokens: 56,
        cache_read_input_tokens: 700,
      }),
    );
    expect(response.cost.total).toBe(1_234 * 100 + 56 * 500 + 700 * 10);
    expect(ends).toEqual([
      expect.objectContaining({ outcome: 'success', attempts: 1, entryId: response.entry.id }),
    ]);
    expect(api.requests[0]?.headers.get('authorization')).toBe('Bearer test-key');
  });

  it('retries a 429 after retry-after-ms and bills exactly one entry', async () => {
    const ledger = new CostLedger();
    const events = createEvents();
    const retries: CallRetryEvent[] = [];
    events.on('call:retry', (event) => retries.push(event));
    api.queue.push(
      {
        kind: 'error',
        status: 429,
        type: 'rate_limit_error',
        headers: { 'retry-after-ms': '25', 'retry-after': '1' },
      },
      { kind: 'ok' },
    );
    const response = await gatewayWith({ ledger, events }).call(request, attribution);
    expect(response.attempts).toBe(2);
    expect(api.requests).toHaveLength(2);
    expect(ledger.entries()).toHaveLength(1);
    expect(ledger.entries()[0]?.retries).toBe(1);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, delayMs: 25, status: 429 })]);
  });

  it('retries 529, 500, 503 and 504 with backoff, then gives up with API_UNAVAILABLE', async () => {
    api.queue.push(
      { kind: 'error', status: 529, type: 'overloaded_error' },
      { kind: 'error', status: 500, type: 'api_error' },
      { kind: 'error', status: 503, type: 'api_error' },
      { kind: 'ok' },
    );
    const ledger = new CostLedger();
    expect((await gatewayWith({ ledger }).call(request, attribution)).attempts).toBe(4);
    expect(ledger.entries()).toHaveLength(1);

    api.queue.push(
      { kind: 'error', status: 504, type: 'api_error' },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
    );
    const failing = gatewayWith({ ledger, maxAttempts: 2 }).call(request, attribution);
    await expect(failing).rejects.toBeInstanceOf(ApiCallError);
    await expect(failing).rejects.toMatchObject({
      code: 'API_UNAVAILABLE',
      status: 529,
      attempts: 2,
    });
    expect(ledger.entries()).toHaveLength(1);
  });

  it('surfaces a 400 at once with the API message, unretried', async () => {
    api.queue.push({
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'messages: field required',
    });
    const budget = new Budget({ limits: { run: 1_000_000_000 } });
    const call = gatewayWith({ budget }).call(request, attribution);
    await expect(call).rejects.toMatchObject({
      code: 'API_REQUEST_REJECTED',
      status: 400,
      type: 'invalid_request_error',
      attempts: 1,
    });
    await expect(call).rejects.toThrow(/messages: field required/);
    expect(api.requests).toHaveLength(1);
    expect(budget.status('run', 'run-1')).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('refuses a call over budget before sending it', async () => {
    const budget = new Budget({ limits: { run: 10_000 } });
    await expect(gatewayWith({ budget }).call(request, attribution)).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(api.requests).toHaveLength(0);
  });

  it('reserves the worst case and settles to the real cost', async () => {
    const budget = new Budget({ limits: { run: 1_000_000_000 } });
    const gateway = gatewayWith({ budget });
    api.queue.push({ kind: 'ok', input: 10, output: 10 });
    const worst = gateway.worstCase(request);
    expect(worst).toBeGreaterThanOrEqual(100 * 500 + 10 * 100);
    const response = await gateway.call(request, attribution);
    expect(budget.status('run', 'run-1')).toEqual({
      limit: 1_000_000_000,
      spent: response.cost.total,
      reserved: 0,
      remaining: 1_000_000_000 - response.cost.total,
    });
  });

  it('an aborted call releases its reservation and is not billed', async () => {
    const budget = new Budget({ limits: { run: 1_000_000_000 } });
    const ledger = new CostLedger();
    api.queue.push({ kind: 'hang' });
    const controller = new AbortController();
    const call = gatewayWith({ budget, ledger }).call(request, attribution, {
      signal: controller.signal,
    });
    await api.received(1); // the request is at the server, hanging
    expect(budget.status('run', 'run-1')?.reserved).toBeGreaterThan(0);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    expect(budget.status('run', 'run-1')).toMatchObject({ spent: 0, reserved: 0 });
    expect(ledger.entries()).toHaveLength(0);
  });

  it('learns rate limits from response headers', async () => {
    const rateLimiter = new RateLimiter();
    api.queue.push({
      kind: 'ok',
      headers: {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-input-tokens-limit': '50000',
        'anthropic-ratelimit-input-tokens-remaining': '49900',
      },
    });
    await gatewayWith({ rateLimiter }).call(request, attribution);
    const stats = rateLimiter.stats('claude-haiku-5-5');
    expect(stats.learned).toBe(true);
    expect(stats.limits).toEqual({ rpm: 50, itpm: 50_000 });
    // The server said 49 left; a few milliseconds of refill at 50/min add far less than one.
    expect(Math.floor(stats.available.requests ?? 0)).toBe(49);
  });

  it('streams events, restarts after an SSE error event, and bills once', async () => {
    const ledger = new CostLedger();
    api.queue.push(
      { kind: 'sse', text: 'partial', errorAfterStart: true },
      { kind: 'sse', text: 'complete answer', input: 300, output: 40 },
    );
    const stream = gatewayWith({ ledger }).stream(request, attribution);
    const seen: GatewayStreamEvent['type'][] = [];
    for await (const event of stream) seen.push(event.type);
    const result = await stream.result;
    expect(seen.filter((type) => type === 'retry')).toHaveLength(1);
    expect(seen.at(-1)).toBe('message_stop');
    expect(result.message.content).toEqual(
      [{ type: 'text', text: 'complete answer', citations: null }].map((block) =>
        expect.objectContaining({ type: block.type, text: block.text }),
      ),
    );
    expect(result.attempts).toBe(2);
    expect(ledger.entries()).toHaveLength(1);
    expect(ledger.entries()[0]?.cost.total).toBe(300 * 100 + 40 * 500);
  });

  it('names bad input', async () => {
    const gateway = gatewayWith();
    await expect(
      gateway.call({ ...request, model: 'claude-nope' }, attribution),
    ).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    await expect(gateway.call({ ...request, max_tokens: 0 }, attribution)).rejects.toThrow(
      'Expected `request.max_tokens` to be an integer >= 1',
    );
    await expect(gateway.call(request, { runId: 'r', taskId: '', role: 'worker' })).rejects.toThrow(
      /attribution.taskId/,
    );
    expect(api.requests).toHaveLength(0);
  });
});

describe('Gateway when the ledger store fails', () => {
  it('does not resend a billed call and still counts it in the budget', async () => {
    const store = {
      append() {
        throw new Error('disk full');
      },
      load: () => [],
    };
    const ledger = new CostLedger({ store });
    const budget = new Budget({ limits: { run: 1_000_000_000 } });
    api.queue.push({ kind: 'ok', input: 100, output: 10 });
    const call = gatewayWith({ ledger, budget }).call(request, attribution);
    await expect(call).rejects.toBeInstanceOf(LedgerStoreError);
    await expect(call).rejects.toMatchObject({
      code: 'LEDGER_STORE_FAILED',
      message: expect.stringContaining('disk full'),
      entry: expect.objectContaining({
        taskId: 'task-1',
        cost: expect.objectContaining({ total: 100 * 100 + 10 * 500 }),
      }),
    });
    expect(api.requests).toHaveLength(1);
    expect(budget.status('run', 'run-1')).toMatchObject({
      spent: 100 * 100 + 10 * 500,
      reserved: 0,
    });
    // The entry is still in memory for this process.
    expect(ledger.entries()).toHaveLength(1);
  });
});

describe('Gateway with a throwing listener', () => {
  it('still returns the billed response', async () => {
    const events = createEvents({ onListenerError: () => {} });
    events.on('call:end', () => {
      throw new Error('listener bug');
    });
    const ledger = new CostLedger();
    const response = await gatewayWith({ ledger, events }).call(request, attribution);
    expect(response.entry.id).toBe(ledger.entries()[0]?.id);
  });
});

describe('Gateway wiring', () => {
  it('routes budget events to gateway.events when the budget has no emitter', async () => {
    const budget = new Budget({ limits: { run: 100_000 } });
    const gateway = gatewayWith({ budget });
    const warnings: unknown[] = [];
    gateway.events.on('budget:warning', (event) => warnings.push(event));
    api.queue.push({ kind: 'ok', input: 900, output: 0 });
    await gateway.call(request, attribution);
    expect(warnings).toEqual([
      expect.objectContaining({ scope: 'run', key: 'run-1', spent: 90_000 }),
    ]);
  });

  it('a stream has one consumer; leaving it early still bills the call once', async () => {
    const ledger = new CostLedger();
    api.queue.push({ kind: 'sse', text: 'hello there' });
    const stream = gatewayWith({ ledger }).stream(request, attribution);
    for await (const event of stream) if (event.type === 'message_start') break;
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/already being iterated/);
    await stream.result;
    expect(ledger.entries()).toHaveLength(1);
  });
});

describe('Gateway when a 200 loses its body', () => {
  it('retries, and the budget counts the lost attempt at its worst case', async () => {
    const ledger = new CostLedger();
    const budget = new Budget({ limits: { run: 1_000_000_000 } });
    const gateway = gatewayWith({ ledger, budget });
    const retries: CallRetryEvent[] = [];
    gateway.events.on('call:retry', (event) => retries.push(event));
    api.queue.push({ kind: 'cut' }, { kind: 'ok', input: 100, output: 10 });
    const response = await gateway.call(request, attribution);
    expect(response.attempts).toBe(2);
    // The possibly billed attempt is its own entry, at its worst case.
    const [lost, billed] = ledger.entries();
    expect(ledger.entries()).toHaveLength(2);
    expect(lost).toMatchObject({ outcome: 'maybe_billed', retries: 0 });
    expect(lost?.cost.total).toBe(gateway.worstCase(request));
    expect(billed).toMatchObject({ outcome: 'success', retries: 1 });
    expect(ledger.spent()).toBe(gateway.worstCase(request) + response.cost.total);
    expect(retries).toEqual([
      expect.objectContaining({
        status: 200,
        maybeBilled: true,
        entryId: lost?.id,
        reason: expect.stringMatching(/may have billed/),
      }),
    ]);
    expect(budget.status('run', 'run-1')).toMatchObject({
      spent: gateway.worstCase(request) + response.cost.total,
      reserved: 0,
    });
  });
});
