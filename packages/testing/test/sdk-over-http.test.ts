import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '../src/index.js';

const MODEL = 'claude-haiku-5-5';

describe('the official SDK against the HTTP server', () => {
  let fake: FakeAnthropicServer;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      latency: 0,
      models: { [MODEL]: () => reply.text('Hello from the fake.') },
      batchProcessingMs: 20,
    });
    client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('binds to 127.0.0.1 on a free port', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.port).toBeGreaterThan(0);
  });

  it('answers messages.create with the scripted text and exact usage', async () => {
    fake.reset();
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'word word' }],
    });
    expect(message.content).toEqual([
      { type: 'text', text: 'Hello from the fake.', citations: null },
    ]);
    expect(message.stop_reason).toBe('end_turn');
    // 3 (message overhead) + 2 words; output: Hello(2) from the fake .(1 each) = 6.
    expect(message.usage).toMatchObject({
      input_tokens: 5,
      output_tokens: 6,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    });
    expect(fake.billing.entries).toHaveLength(1);
    expect(fake.billing.entries[0]!.usage).toEqual(message.usage);
    // $0.10/M input = 100 nano-USD per token, $0.50/M output = 500.
    expect(fake.billing.total()).toBe(5 * 100 + 6 * 500);
    const seen = fake.transcript.entries[0]!;
    expect(seen.headers.authorization).toBe('Bearer test-key');
    expect(seen.headers['anthropic-version']).toBe('2026-10-21');
  });

  it('streams with messages.stream and finalMessage() usage equals the billing entry', async () => {
    fake.reset();
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe('Hello from the fake.');
    expect(final.content).toEqual([
      { type: 'text', text: 'Hello from the fake.', citations: null },
    ]);
    expect(fake.billing.entries).toHaveLength(1);
    expect(final.usage).toEqual(fake.billing.entries[0]!.usage);
    expect(fake.billing.entries[0]!.stream).toBe(true);
  });

  it('counts tokens', async () => {
    const counted = await client.messages.countTokens({
      model: MODEL,
      system: 'word word word',
      messages: [{ role: 'user', content: 'word' }],
    });
    expect(counted).toEqual({ input_tokens: 3 + 3 + 1 });
  });

  it('runs a batch to the end and bills its results at 50%', async () => {
    fake.reset();
    const created = await client.messages.batches.create({
      requests: [
        {
          custom_id: 'first',
          params: { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'one' }] },
        },
        {
          custom_id: 'second',
          params: { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'two' }] },
        },
      ],
    });
    expect(created.processing_status).toBe('in_progress');
    expect(created.request_counts).toMatchObject({ processing: 2, succeeded: 0 });
    let batch = created;
    for (let attempt = 0; attempt < 200 && batch.processing_status !== 'ended'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      batch = await client.messages.batches.retrieve(created.id);
    }
    expect(batch.processing_status).toBe('ended');
    expect(batch.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    expect(batch.results_url).toBe(`${fake.url}/v1/messages/batches/${created.id}/results`);

    const results = [];
    for await (const result of await client.messages.batches.results(created.id))
      results.push(result);
    expect(results.map((result) => result.custom_id)).toEqual(['first', 'second']);
    for (const result of results) {
      if (result.result.type !== 'succeeded') throw new Error('expected success');
      expect(result.result.message.usage).toMatchObject({
        input_tokens: 4,
        output_tokens: 6,
        service_tier: 'batch',
      });
    }
    expect(fake.billing.entries.map((entry) => [entry.batchId, entry.customId])).toEqual([
      [created.id, 'first'],
      [created.id, 'second'],
    ]);
    // Half of 100 and 500 nano-USD per token.
    for (const entry of fake.billing.entries) expect(entry.cost.total).toBe(4 * 50 + 6 * 250);

    const page = await client.messages.batches.list();
    expect(page.data.map((item) => item.id)).toContain(created.id);
  });

  it("recovers from a 429 with the SDK's own default retries", async () => {
    fake.reset();
    fake.faults.enqueue({ kind: 'rate_limit', retryAfterMs: 10 });
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from the fake.' });
    expect(fake.transcript.entries.map((entry) => entry.status)).toEqual([429, 200]);
    expect(fake.billing.entries).toHaveLength(1);
  });

  it('delivers the events before a stream cut, then fails the stream; nothing is billed', async () => {
    fake.reset();
    fake.script(MODEL, () => reply.text('word '.repeat(40)));
    fake.faults.enqueue({ kind: 'stream_cut', afterEvents: 5 });
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    await expect(stream.finalMessage()).rejects.toThrow();
    // message_start, ping, content_block_start, then two 8-token text deltas.
    const eight = Array.from({ length: 8 }, () => 'word').join(' ');
    expect(texts).toEqual([eight, ` ${eight}`]);
    expect(fake.billing.entries).toHaveLength(0);
    fake.script(MODEL, () => reply.text('Hello from the fake.'));
  });

  it('recovers from a dropped connection and a 529 with default retries', async () => {
    fake.reset();
    fake.faults.enqueue({ kind: 'disconnect' });
    fake.faults.enqueue({ kind: 'overloaded', retryAfterMs: 5 });
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.type).toBe('message');
    expect(fake.transcript.entries.map((entry) => entry.status)).toEqual([0, 529, 200]);
    expect(fake.billing.entries).toHaveLength(1);
  });
});
