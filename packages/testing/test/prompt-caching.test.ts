import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeAnthropic,
  type InProcessFakeAnthropic,
  reply,
  setupFakeAnthropic,
} from '../src/index.js';
import { call, deferred, manualClock, cachedRequest as request, SYSTEM_2000 } from './helpers.js';

describe('prompt caching through the SDK (msw)', () => {
  let fake: InProcessFakeAnthropic;
  let client: Anthropic;

  beforeAll(() => {
    fake = setupFakeAnthropic({
      defaultResponder: () => reply.text('ok'),
      latency: { firstByte: 40, perOutputTokenMs: 5 },
    });
    fake.listen({ onUnhandledRequest: 'error' });
    client = new Anthropic({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('20 requests sent at once all write the 2,000-token prefix', async () => {
    const messages = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        client.messages.create(request('claude-haiku-5-5', index)),
      ),
    );
    for (const message of messages) {
      expect(message.usage).toMatchObject({
        cache_creation_input_tokens: 2000,
        cache_read_input_tokens: 0,
        input_tokens: 6,
        cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 },
      });
    }
  });

  it('one first, then 19 after its response begins: 1 write and 19 reads', async () => {
    const first = client.messages.stream(request('claude-haiku-5-5', 0));
    // Wait for message_start: the response has begun, the stream is still running.
    await new Promise<void>((resolve) =>
      first.on('streamEvent', (event) => event.type === 'message_start' && resolve()),
    );
    const rest = await Promise.all(
      Array.from({ length: 19 }, (_, index) =>
        client.messages.create(request('claude-haiku-5-5', index + 1)),
      ),
    );
    const firstMessage = await first.finalMessage();
    expect(firstMessage.usage).toMatchObject({
      cache_creation_input_tokens: 2000,
      cache_read_input_tokens: 0,
    });
    for (const message of rest) {
      expect(message.usage).toMatchObject({
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2000,
        input_tokens: 6,
      });
    }
    const usages = fake.billing.entries.map((entry) => entry.usage);
    expect(usages.filter((usage) => usage.cache_creation_input_tokens === 2000)).toHaveLength(1);
    expect(usages.filter((usage) => usage.cache_read_input_tokens === 2000)).toHaveLength(19);
  });

  it('does not cache a prefix below the model minimum (claude-haiku-4-5: 4,096)', async () => {
    const first = await client.messages.create(request('claude-haiku-4-5', 0));
    const second = await client.messages.create(request('claude-haiku-4-5', 1));
    for (const message of [first, second]) {
      expect(message.usage).toMatchObject({
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        input_tokens: 2006,
      });
    }
  });
});

describe('prompt cache rules (engine)', () => {
  it('keeps an entry 5 minutes, refreshes it on each read, then writes again', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({ latency: 0, now: clock.now, defaultResponder: () => 'ok' });
    const usage = async (index: number) =>
      ((await (await call(fake, '/v1/messages', request('claude-haiku-5-5', index))).json()) as any)
        .usage;
    expect((await usage(0)).cache_creation_input_tokens).toBe(2000);
    clock.advance(4 * 60_000 + 59_000);
    expect((await usage(1)).cache_read_input_tokens).toBe(2000);
    clock.advance(4 * 60_000 + 59_000); // 9:58 after the write, 4:59 after the read
    expect((await usage(2)).cache_read_input_tokens).toBe(2000);
    clock.advance(5 * 60_000);
    expect((await usage(3)).cache_creation_input_tokens).toBe(2000);
    expect(fake.cache.entries()).toHaveLength(1);
  });

  it("makes a JSON response's write readable only once that response begins", async () => {
    const held = deferred();
    let sleeps = 0;
    const fake = createFakeAnthropic({
      defaultResponder: () => 'ok',
      latency: { firstByte: 10 },
      // The first response is held before it begins; the others begin at once.
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 1) await held.promise;
      },
    });
    const usage = async (response: Promise<Response>) =>
      ((await (await response).json()) as any).usage;
    const first = call(fake, '/v1/messages', request('claude-haiku-5-5', 0));
    // The second arrives while the first is still held: nothing is readable yet, so it writes too.
    const second = await usage(call(fake, '/v1/messages', request('claude-haiku-5-5', 1)));
    expect(second).toMatchObject({ cache_creation_input_tokens: 2000, cache_read_input_tokens: 0 });
    held.resolve();
    expect((await usage(first)).cache_creation_input_tokens).toBe(2000);
    const third = await usage(call(fake, '/v1/messages', request('claude-haiku-5-5', 2)));
    expect(third).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 2000 });
  });

  it('keeps a 1h entry past 5 minutes and reports 1h writes', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({ latency: 0, now: clock.now, defaultResponder: () => 'ok' });
    const body = (index: number) => ({
      ...request('claude-haiku-5-5', index),
      system: [
        { type: 'text', text: SYSTEM_2000, cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
    });
    const first = ((await (await call(fake, '/v1/messages', body(0))).json()) as any).usage;
    expect(first.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 2000,
    });
    clock.advance(59 * 60_000);
    const second = ((await (await call(fake, '/v1/messages', body(1))).json()) as any).usage;
    expect(second.cache_read_input_tokens).toBe(2000);
    // 1h writes cost $0.20/M = 200 nano-USD per token on claude-haiku-5-5.
    expect(fake.billing.entries[0]!.cost.cacheWrite).toBe(2000 * 200);
  });

  it('splits reads, writes and input across several breakpoints', async () => {
    const fake = createFakeAnthropic({ latency: 0, defaultResponder: () => 'ok' });
    const tools = [
      {
        name: 'grep',
        description: 'word '.repeat(600).trim(),
        input_schema: { type: 'object' },
        cache_control: { type: 'ephemeral' },
      },
    ];
    // Tool: grep(1) + 600 + {"type":"object"} = { " type " : " object " } -> 1+1+1+1+1+1+2+1+1 = 10
    const toolTokens = 1 + 600 + 10;
    const base = { model: 'claude-haiku-5-5', max_tokens: 10, tools };
    const withSystem = {
      ...base,
      system: [{ type: 'text', text: SYSTEM_2000, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'question 1' }],
    };
    // First: only the tools prefix is cached.
    const first = (
      (await (
        await call(fake, '/v1/messages', { ...base, messages: [{ role: 'user', content: 'hi' }] })
      ).json()) as any
    ).usage;
    expect(first).toMatchObject({
      cache_creation_input_tokens: toolTokens,
      cache_read_input_tokens: 0,
      input_tokens: 4,
    });
    // Second: reads the tools prefix, writes the system segment.
    const second = ((await (await call(fake, '/v1/messages', withSystem)).json()) as any).usage;
    expect(second).toMatchObject({
      cache_read_input_tokens: toolTokens,
      cache_creation_input_tokens: 2000,
      input_tokens: 6,
    });
    // Third: reads both.
    const third = ((await (await call(fake, '/v1/messages', withSystem)).json()) as any).usage;
    expect(third).toMatchObject({
      cache_read_input_tokens: toolTokens + 2000,
      cache_creation_input_tokens: 0,
      input_tokens: 6,
    });
    // The billing log tells the segments apart by breakpoint.
    expect(fake.billing.entries.map((entry) => entry.cacheBreakdown)).toEqual([
      [{ breakpoint: 'tools', prefixTokens: toolTokens, ttl: '5m', written: toolTokens, read: 0 }],
      [
        { breakpoint: 'tools', prefixTokens: toolTokens, ttl: '5m', written: 0, read: toolTokens },
        {
          breakpoint: 'system',
          prefixTokens: toolTokens + 2000,
          ttl: '5m',
          written: 2000,
          read: 0,
        },
      ],
      [
        { breakpoint: 'tools', prefixTokens: toolTokens, ttl: '5m', written: 0, read: toolTokens },
        {
          breakpoint: 'system',
          prefixTokens: toolTokens + 2000,
          ttl: '5m',
          written: 0,
          read: 2000,
        },
      ],
    ]);
  });

  it('tells a shared system prefix apart from a cached history in the billing log', async () => {
    const fake = createFakeAnthropic({ latency: 0, defaultResponder: () => 'ok' });
    const turn = (text: string, cached: boolean) => ({
      type: 'text',
      text,
      ...(cached ? { cache_control: { type: 'ephemeral' } } : {}),
    });
    const history = 'word '.repeat(600);
    const body = (turns: number) => ({
      model: 'claude-haiku-5-5',
      max_tokens: 5,
      system: [{ type: 'text', text: SYSTEM_2000, cache_control: { type: 'ephemeral' } }],
      messages: Array.from({ length: turns }, (_, index) => ({
        role: index % 2 === 0 ? 'user' : 'assistant',
        content: [turn(history, index === turns - 1)],
      })),
    });
    await call(fake, '/v1/messages', body(1));
    await call(fake, '/v1/messages', body(3));
    const breakdown = fake.billing.entries.map((entry) =>
      entry.cacheBreakdown.map(({ breakpoint, written, read }) => ({ breakpoint, written, read })),
    );
    expect(breakdown).toEqual([
      [
        { breakpoint: 'system', written: 2000, read: 0 },
        { breakpoint: 'messages', written: 603, read: 0 },
      ],
      [
        { breakpoint: 'system', written: 0, read: 2000 },
        { breakpoint: 'messages', written: 3 * 603, read: 0 },
      ],
    ]);
    for (const entry of fake.billing.entries) {
      const sum = (key: 'written' | 'read') =>
        entry.cacheBreakdown.reduce((total, item) => total + item[key], 0);
      expect(sum('written')).toBe(entry.usage.cache_creation_input_tokens);
      expect(sum('read')).toBe(entry.usage.cache_read_input_tokens);
    }
  });

  it('refuses more than four breakpoints with a 400', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    const block = { type: 'text', text: 'word', cache_control: { type: 'ephemeral' } };
    const response = await call(fake, '/v1/messages', {
      model: 'claude-haiku-5-5',
      max_tokens: 10,
      system: [block, block, block],
      messages: [{ role: 'user', content: [block, block] }],
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.',
      },
    });
  });

  it('caches through a top-level cache_control (automatic caching) on the last block', async () => {
    const fake = createFakeAnthropic({ latency: 0, defaultResponder: () => 'ok' });
    const body = {
      model: 'claude-haiku-5-5',
      max_tokens: 10,
      cache_control: { type: 'ephemeral' },
      messages: [{ role: 'user', content: SYSTEM_2000 }],
    };
    const first = ((await (await call(fake, '/v1/messages', body)).json()) as any).usage;
    expect(first).toMatchObject({ cache_creation_input_tokens: 2003, input_tokens: 0 });
    const second = ((await (await call(fake, '/v1/messages', body)).json()) as any).usage;
    expect(second).toMatchObject({ cache_read_input_tokens: 2003, input_tokens: 0 });
  });
});
