import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessFakeAnthropic, reply, setupFakeAnthropic } from '../src/index.js';

const MODEL = 'claude-haiku-5-5';
const params = {
  model: MODEL,
  max_tokens: 200,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

describe('in process with msw (SDK maxRetries: 0)', () => {
  let fake: InProcessFakeAnthropic;
  let client: Anthropic;

  beforeAll(() => {
    fake = setupFakeAnthropic({
      latency: 0,
      defaultResponder: () => reply.text('word '.repeat(30)),
    });
    fake.listen({ onUnhandledRequest: 'error' });
    // Created after listen(): the SDK captures fetch at construction.
    client = new Anthropic({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('creates and streams messages', async () => {
    const created = await client.messages.create(params);
    const streamed = await client.messages.stream(params).finalMessage();
    expect(created.usage.output_tokens).toBe(30);
    expect(streamed.usage).toEqual(fake.billing.entries[1]!.usage);
    expect(fake.transcript.messages(MODEL)).toHaveLength(2);
  });

  it('surfaces a 429 as RateLimitError with the headers', async () => {
    fake.faults.enqueue({ kind: 'rate_limit', retryAfterMs: 20 });
    const error = await client.messages.create(params).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const apiError = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(apiError.headers?.get('retry-after-ms')).toBe('20');
    expect(apiError.requestID).toMatch(/^req_fake_/);
  });

  it('surfaces 529 and a dropped connection', async () => {
    fake.faults.enqueue({ kind: 'overloaded' });
    fake.faults.enqueue({ kind: 'disconnect' });
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(
      Anthropic.APIConnectionError,
    );
    expect(fake.billing.entries).toHaveLength(0);
  });

  it('fails a stream on an SSE error event or a cut, and bills neither', async () => {
    fake.faults.enqueue({ kind: 'stream_error_event' });
    await expect(client.messages.stream(params).finalMessage()).rejects.toMatchObject({
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
    fake.faults.enqueue({ kind: 'stream_cut' });
    await expect(client.messages.stream(params).finalMessage()).rejects.toThrow();
    expect(fake.billing.entries).toHaveLength(0);
    // The next stream is fine and billed.
    await client.messages.stream(params).finalMessage();
    expect(fake.billing.entries).toHaveLength(1);
  });

  it('answers under a base URL with a path', async () => {
    const prefixed = setupFakeAnthropic({ latency: 0, baseURL: 'http://proxy.local/anthropic' });
    fake.close();
    prefixed.listen({ onUnhandledRequest: 'error' });
    try {
      const proxied = new Anthropic({ apiKey: 'k', baseURL: prefixed.baseURL, maxRetries: 0 });
      const message = await proxied.messages.create(params);
      expect(message.content[0]).toMatchObject({ text: 'Simulated reply from claude-haiku-5-5.' });
      expect(prefixed.transcript.messages(MODEL)).toHaveLength(1);
    } finally {
      prefixed.close();
      fake.listen({ onUnhandledRequest: 'error' });
    }
  });

  it('runs a batch through results() on the fake base URL', async () => {
    const batch = await client.messages.batches.create({
      requests: [{ custom_id: 'only', params }],
    });
    let status = batch.processing_status;
    for (let attempt = 0; attempt < 200 && status !== 'ended'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = (await client.messages.batches.retrieve(batch.id)).processing_status;
    }
    expect(status).toBe('ended');
    const results = [];
    for await (const result of await client.messages.batches.results(batch.id))
      results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0]!.result.type).toBe('succeeded');
    expect(fake.billing.entries[0]!.usage.service_tier).toBe('batch');
  });
});
