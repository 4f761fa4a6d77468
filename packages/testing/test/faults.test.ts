import Anthropic from '@anthropic-ai/sdk';
import { costOf } from '@haiku-army/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeAnthropic, createRandom, reply, startFakeAnthropic } from '../src/index.js';
import { call, readEvents } from './helpers.js';

const MODEL = 'claude-haiku-5-5';
const small = { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };

describe('seeded randomness', () => {
  it('replays the same sequence for the same seed', () => {
    const a = createRandom(1234);
    const b = createRandom(1234);
    const c = createRandom(1235);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(first);
    for (const value of first) expect(value >= 0 && value < 1).toBe(true);
    expect(a.fork('x').next()).toBe(createRandom(1234).fork('x').next());
  });

  it('replays the same faults for the same seed', async () => {
    const statuses = async (seed: number) => {
      const fake = createFakeAnthropic({
        latency: 0,
        seed,
        faults: { rateLimit: 0.2, overloaded: 0.2, serverError: 0.1 },
      });
      const out: number[] = [];
      for (let index = 0; index < 40; index += 1)
        out.push((await call(fake, '/v1/messages', small)).status);
      return out;
    };
    const first = await statuses(7);
    expect(await statuses(7)).toEqual(first);
    expect(first).toContain(429);
    expect(first).toContain(529);
    expect(first).toContain(200);
    expect(await statuses(8)).not.toEqual(first);
  });
});

describe('reset()', () => {
  it('restarts every seeded stream: latency, context.random() and faults replay', async () => {
    const slept: number[] = [];
    const fake = createFakeAnthropic({
      seed: 5,
      latency: { firstByte: { type: 'uniform', minMs: 0, maxMs: 100 } },
      faults: { overloaded: 0.3 },
      sleep: async (ms) => {
        slept.push(ms);
      },
      defaultResponder: (_request, context) => `draw ${context.random()}`,
    });
    const run = async () => {
      const seen: string[] = [];
      for (let index = 0; index < 8; index += 1) {
        const response = await call(fake, '/v1/messages', small);
        seen.push(
          response.status === 200 ? ((await response.json()) as any).content[0].text : 'fault',
        );
      }
      return { seen, slept: slept.splice(0) };
    };
    const first = await run();
    expect(first.seen).toContain('fault');
    fake.reset();
    expect(await run()).toEqual(first);
  });
});

describe('fault queue', () => {
  it('applies queued faults to the next matching request, by model', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    fake.faults.enqueue({ kind: 'server_error', status: 503 }, { model: 'claude-sonnet-5-5' });
    fake.faults.enqueue({ kind: 'rate_limit', retryAfterMs: 20 });
    fake.faults.enqueue({ kind: 'invalid_request', message: 'nope' });
    const limited = await call(fake, '/v1/messages', small);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after-ms')).toBe('20');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('request-id')).toMatch(/^req_fake_/);
    const invalid = await call(fake, '/v1/messages', small);
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'nope' },
    });
    expect((await call(fake, '/v1/messages', small)).status).toBe(200);
    const sonnet = await call(fake, '/v1/messages', { ...small, model: 'claude-sonnet-5-5' });
    expect(sonnet.status).toBe(503);
    expect(fake.faults.pending()).toHaveLength(0);
    expect(fake.billing.entries).toHaveLength(1);
  });

  it('takes the target model from the fault and repeats it `times` times', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    fake.faults.enqueue({ kind: 'overloaded', model: 'claude-opus-5-5' }, { times: 2 });
    const opus = { ...small, model: 'claude-opus-5-5' };
    expect((await call(fake, '/v1/messages', small)).status).toBe(200);
    expect((await call(fake, '/v1/messages', opus)).status).toBe(529);
    expect((await call(fake, '/v1/messages', opus)).status).toBe(529);
    expect((await call(fake, '/v1/messages', opus)).status).toBe(200);
  });

  it('keeps stream-only faults for the next streaming request', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () => reply.text('word '.repeat(40)),
    });
    fake.faults.enqueue({ kind: 'stream_error_event', afterEvents: 3 });
    expect((await call(fake, '/v1/messages', small)).status).toBe(200);
    const streamed = await call(fake, '/v1/messages', { ...small, stream: true });
    expect(streamed.status).toBe(200);
    const events = await readEvents(streamed);
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'error',
    ]);
    expect(events.at(-1)!.data).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded (injected stream fault).' },
    });
    // Only the JSON response was billed.
    expect(fake.billing.entries).toHaveLength(1);
  });

  it('keeps a queued stream fault for the next stream when a request is refused first', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      limits: { [MODEL]: { otpm: 120 } },
      defaultResponder: () => reply.text('word '.repeat(40)),
    });
    fake.faults.enqueue({ kind: 'stream_error_event', afterEvents: 3 });
    // 200 output tokens reserved against an OTPM of 120: refused before any stream begins.
    const refused = await call(fake, '/v1/messages', { ...small, max_tokens: 200, stream: true });
    expect(refused.status).toBe(429);
    expect(fake.faults.pending()).toHaveLength(1);
    const streamed = await call(fake, '/v1/messages', { ...small, stream: true });
    expect((await readEvents(streamed)).map((event) => event.event).at(-1)).toBe('error');
    expect(fake.faults.pending()).toHaveLength(0);
    expect(fake.billing.entries).toHaveLength(0);
  });

  it('cuts a stream mid-way and does not bill it', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () => reply.text('word '.repeat(40)),
    });
    fake.faults.enqueue({ kind: 'stream_cut' });
    const response = await call(fake, '/v1/messages', { ...small, stream: true });
    await expect(response.text()).rejects.toThrow();
    expect(fake.billing.entries).toHaveLength(0);
    expect(fake.limits.state(MODEL).otpm.remaining).toBeGreaterThan(800_000 - 50);
  });

  it('drops the connection for a disconnect fault', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    fake.faults.enqueue({ kind: 'disconnect' });
    const response = await call(fake, '/v1/messages', small);
    expect(response.type).toBe('error');
    expect(fake.transcript.entries[0]!.status).toBe(0);
  });
});

describe('billing under 10% random faults (SDK over HTTP, no retries)', () => {
  let fake: Awaited<ReturnType<typeof startFakeAnthropic>>;
  beforeAll(async () => {
    fake = await startFakeAnthropic({
      latency: 0,
      seed: 99,
      faults: {
        rateLimit: 0.02,
        overloaded: 0.02,
        serverError: 0.02,
        disconnect: 0.01,
        streamCut: 0.015,
        streamErrorEvent: 0.015,
      },
      defaultResponder: (_request, context) => reply.text('word '.repeat(5 + (context.call % 17))),
    });
  });
  afterAll(() => fake.close());

  it('bills exactly the priced usage of the successful responses', async () => {
    const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
    const usages: Anthropic.Usage[] = [];
    let failures = 0;
    const one = async (index: number) => {
      const params = {
        model: MODEL,
        max_tokens: 100,
        messages: [
          { role: 'user' as const, content: `request ${index} ${'word '.repeat(index % 13)}` },
        ],
      };
      try {
        const message =
          index % 2 === 0
            ? await client.messages.create(params)
            : await client.messages.stream(params).finalMessage();
        usages.push(message.usage);
      } catch {
        failures += 1;
      }
    };
    for (let start = 0; start < 200; start += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, offset) => one(start + offset)));
    }
    expect(failures).toBeGreaterThan(5);
    expect(usages.length + failures).toBe(200);
    expect(fake.billing.entries).toHaveLength(usages.length);
    const expected = usages.reduce((sum, usage) => sum + costOf(MODEL, usage).total, 0);
    expect(fake.billing.total()).toBe(expected);
  });
});
