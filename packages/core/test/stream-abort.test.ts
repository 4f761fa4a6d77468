import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortError,
  Budget,
  type CallEndEvent,
  CostLedger,
  costOf,
  createEvents,
  createGateway,
  ERROR_CODES,
  estimateTextTokens,
  getModel,
  type LedgerEntry,
  LedgerStoreError,
  MemoryLedgerStore,
  usd,
} from '../src/index.js';

/**
 * A real HTTP server that streams a response part-way and then holds the
 * connection open, so the caller's abort is what ends it.
 */
type Script =
  | { kind: 'partial'; texts: string[]; reportedOutput?: number }
  | { kind: 'silent' }
  | { kind: 'error-after-start' };

const START_USAGE = {
  input_tokens: 1234,
  output_tokens: 1,
  cache_creation_input_tokens: 50,
  cache_read_input_tokens: 100,
  cache_creation: { ephemeral_5m_input_tokens: 50, ephemeral_1h_input_tokens: 0 },
  service_tier: 'standard',
};

let server: Server;
let baseURL: string;
let queue: Script[];
let open: ServerResponse[];
let sent: number;

function write(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

beforeEach(async () => {
  queue = [];
  open = [];
  sent = 0;
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const script = queue.shift() ?? { kind: 'silent' };
      open.push(response);
      response.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_1' });
      if (script.kind === 'silent') return;
      write(response, 'message_start', {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-haiku-5-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: START_USAGE,
        },
      });
      write(response, 'content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      });
      if (script.kind === 'error-after-start') {
        write(response, 'content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'lost attempt' },
        });
        write(response, 'error', {
          type: 'error',
          error: { type: 'overloaded_error', message: 'Overloaded' },
        });
        response.end();
        return;
      }
      for (const text of script.texts) {
        write(response, 'content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text },
        });
        sent += 1;
      }
      if (script.reportedOutput !== undefined) {
        write(response, 'message_delta', {
          type: 'message_delta',
          delta: { stop_reason: null, stop_sequence: null },
          usage: { output_tokens: script.reportedOutput },
        });
      }
      // ...and the connection stays open until the client goes away.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const response of open) response.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const request = {
  model: 'claude-haiku-5-5',
  max_tokens: 2_000,
  messages: [{ role: 'user' as const, content: 'Write a long essay.' }],
};
const attribution = { runId: 'run-s', taskId: 'essay', role: 'worker' };

function setup() {
  const events = createEvents();
  const ends: CallEndEvent[] = [];
  events.on('call:end', (event) => ends.push(event));
  const ledger = new CostLedger();
  const budget = new Budget({ limits: { run: usd(1) } });
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'test-key', baseURL }),
    ledger,
    budget,
    events,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 2,
  });
  return { gateway, ledger, budget, ends };
}

async function abortAfterDeltas(
  stream: AsyncIterable<{ type: string }>,
  controller: AbortController,
  deltas: number,
): Promise<unknown> {
  let seen = 0;
  try {
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && ++seen === deltas) controller.abort();
    }
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('a stream the caller aborts', () => {
  it('after message_start: an estimated ledger entry, settled at input + max_tokens, AbortError with the entry', async () => {
    const texts = ['The printer ', 'jammed twice, ', 'then 42 pages came out.'];
    queue.push({ kind: 'partial', texts });
    const { gateway, ledger, budget, ends } = setup();
    const controller = new AbortController();
    const stream = gateway.stream(request, attribution, { signal: controller.signal });
    const iterated = await abortAfterDeltas(stream, controller, texts.length);
    const error = await stream.result.catch((caught: unknown) => caught);

    expect(iterated).toBe(error);
    expect(error).toBeInstanceOf(AbortError);
    const entry = (error as AbortError).entry;
    const expectedOutput = estimateTextTokens(texts.join(''), 'haiku');
    expect(entry).toMatchObject({
      estimated: true,
      outcome: 'aborted',
      taskId: 'essay',
      usage: {
        inputTokens: 1234,
        cacheWrite5mTokens: 50,
        cacheReadTokens: 100,
        outputTokens: expectedOutput,
        serviceTier: 'standard',
      },
    });
    const model = getModel('claude-haiku-5-5');
    expect(entry?.cost.total).toBe(costOf(model, entry!.usage).total);
    expect(ledger.entries()).toEqual([entry]);
    expect(ledger.totals()).toMatchObject({ calls: 1, estimated: entry!.cost.total });
    expect(ledger.totals().cost.total).toBe(entry!.cost.total);
    // The budget cannot count less than the API can bill: the known input and
    // every token of max_tokens (the API never bills more output than that).
    const bound = costOf(model, { ...entry!.usage, outputTokens: request.max_tokens }).total;
    expect(budget.status('run', 'run-s')).toMatchObject({ spent: bound, reserved: 0 });
    expect(bound).toBeGreaterThan(entry!.cost.total);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ outcome: 'aborted', entryId: entry!.id, cost: entry!.cost });
  });

  it('uses the API running output count when a message_delta reported more', async () => {
    queue.push({ kind: 'partial', texts: ['short'], reportedOutput: 77 });
    const { gateway } = setup();
    const controller = new AbortController();
    const stream = gateway.stream(request, attribution, { signal: controller.signal });
    let seen = false;
    const consumed = (async () => {
      for await (const event of stream) {
        if (event.type === 'message_delta') {
          seen = true;
          controller.abort();
        }
      }
    })().catch(() => {});
    const error = (await stream.result.catch((caught: unknown) => caught)) as AbortError;
    await consumed;
    expect(seen).toBe(true);
    expect(error.entry?.usage.outputTokens).toBe(77);
  });

  it('before message_start: AbortError without an entry, nothing billed, the reservation released', async () => {
    queue.push({ kind: 'silent' });
    const { gateway, ledger, budget, ends } = setup();
    const controller = new AbortController();
    const stream = gateway.stream(request, attribution, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = (await stream.result.catch((caught: unknown) => caught)) as AbortError;
    expect(error).toBeInstanceOf(AbortError);
    expect(error.code).toBe(ERROR_CODES.ABORTED);
    expect(error.entry).toBeUndefined();
    expect(ledger.entries()).toHaveLength(0);
    expect(ledger.totals().estimated).toBe(0);
    expect(budget.status('run', 'run-s')).toMatchObject({ spent: 0, reserved: 0 });
    expect(ends[0]).toMatchObject({ outcome: 'aborted' });
    expect(ends[0]?.entryId).toBeUndefined();
  });

  it('a failed attempt that began is forgotten: an abort during the retry records nothing', async () => {
    queue.push({ kind: 'error-after-start' }, { kind: 'silent' });
    const { gateway, ledger, budget } = setup();
    const controller = new AbortController();
    const stream = gateway.stream(request, attribution, { signal: controller.signal });
    const consumed = (async () => {
      for await (const event of stream) {
        if (event.type === 'retry') setTimeout(() => controller.abort(), 20);
      }
    })().catch(() => {});
    const error = (await stream.result.catch((caught: unknown) => caught)) as AbortError;
    await consumed;
    expect(error).toBeInstanceOf(AbortError);
    expect(error.entry).toBeUndefined();
    expect(ledger.entries()).toHaveLength(0);
    expect(budget.status('run', 'run-s')).toMatchObject({ spent: 0, reserved: 0 });
    expect(sent).toBe(0);
  });
});

describe('an aborted stream across failures and restarts', () => {
  it('surfaces a failed ledger write as LedgerStoreError, still settling the bound', async () => {
    queue.push({ kind: 'partial', texts: ['Some ', 'text'] });
    const ledger = new CostLedger({
      store: {
        append: () => {
          throw new Error('disk full');
        },
        load: () => [],
      },
    });
    const budget = new Budget({ limits: { run: usd(1) } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL }),
      ledger,
      budget,
    });
    const controller = new AbortController();
    const stream = gateway.stream(request, attribution, { signal: controller.signal });
    await abortAfterDeltas(stream, controller, 2);
    const error = await stream.result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LedgerStoreError);
    const entry = (error as LedgerStoreError).entry;
    expect(entry).toMatchObject({ estimated: true, outcome: 'aborted' });
    const model = getModel('claude-haiku-5-5');
    const bound = costOf(model, { ...entry.usage, outputTokens: request.max_tokens }).total;
    expect(budget.status('run', 'run-s')).toMatchObject({ spent: bound, reserved: 0 });
  });

  it('keeps the settled bound on the entry, so a day cap rebuilt from the ledger counts it', async () => {
    queue.push({ kind: 'partial', texts: ['Some ', 'text'] });
    const store = new MemoryLedgerStore();
    const ledger = new CostLedger({ store });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL }),
      ledger,
      budget: new Budget({ limits: { run: usd(1) } }),
    });
    const controller = new AbortController();
    const stream = gateway.stream(request, attribution, { signal: controller.signal });
    await abortAfterDeltas(stream, controller, 2);
    const entry = ((await stream.result.catch((caught: unknown) => caught)) as AbortError)
      .entry as LedgerEntry;
    const model = getModel('claude-haiku-5-5');
    const bound = costOf(model, { ...entry.usage, outputTokens: request.max_tokens }).total;
    expect(entry.reservedBound).toBe(bound);
    expect(bound).toBeGreaterThan(entry.cost.total);
    // A new process: the day cap's spend comes from the loaded ledger.
    const reloaded = await new CostLedger({ store }).load();
    expect(reloaded.spent()).toBe(bound);
    expect(reloaded.totals().cost.total).toBe(entry.cost.total);
    const budget = new Budget({ limits: { day: usd(1) }, ledger: reloaded });
    const today = new Date(entry.timestamp).toISOString().slice(0, 10);
    expect(budget.status('day', today)?.spent).toBe(bound);
  });
});
