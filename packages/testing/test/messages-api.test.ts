import { describe, expect, it } from 'vitest';
import { createFakeAnthropic, reply, sequence, toolExchanges } from '../src/index.js';
import { call, readEvents } from './helpers.js';

const MODEL = 'claude-haiku-5-5';
const small = { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };

describe('validation and errors', () => {
  it('401s without credentials and accepts x-api-key or a Bearer token', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    const missing = await fake.handle(
      new Request('http://fake-anthropic.local/v1/messages', {
        method: 'POST',
        headers: { 'anthropic-version': '2026-10-21' },
        body: JSON.stringify(small),
      }),
    );
    expect(missing.status).toBe(401);
    const body = (await missing.json()) as any;
    expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(body.request_id).toBe(missing.headers.get('request-id'));
    const bearer = await call(fake, '/v1/messages', small, {
      headers: { 'x-api-key': '', authorization: 'Bearer k' },
    });
    expect(bearer.status).toBe(200);
  });

  it('only accepts configured keys when apiKeys is set', async () => {
    const fake = createFakeAnthropic({ latency: 0, apiKeys: ['good'] });
    expect((await call(fake, '/v1/messages', small)).status).toBe(401);
    expect(
      (await call(fake, '/v1/messages', small, { headers: { 'x-api-key': 'good' } })).status,
    ).toBe(200);
  });

  it('404s an unknown model', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    const response = await call(fake, '/v1/messages', { ...small, model: 'claude-haiku-9' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { type: 'not_found_error', message: 'model: claude-haiku-9' },
    });
  });

  it('400s a missing max_tokens or messages, temperature, and a max_tokens over the model maximum', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    const cases: [unknown, string][] = [
      [{ model: MODEL, messages: small.messages }, 'max_tokens: Field required'],
      [{ model: MODEL, max_tokens: 10 }, 'messages: Field required'],
      [{ ...small, messages: [] }, 'messages: at least one message is required'],
      [{ ...small, temperature: 0.5 }, 'temperature: Extra inputs are not permitted'],
      [{ ...small, top_p: 0.5 }, 'top_p: Extra inputs are not permitted'],
      [{ ...small, max_tokens: 64_001 }, 'max_tokens: 64001 > 64000'],
      // claude-haiku-4-5 has a 200,000-token window: 150,003 prompt tokens + 60,000 do not fit.
      [
        {
          model: 'claude-haiku-4-5',
          max_tokens: 60_000,
          messages: [{ role: 'user', content: 'word '.repeat(150_000) }],
        },
        'input length and `max_tokens` exceed context limit: 150003 + 60000 > 200000',
      ],
    ];
    for (const [body, message] of cases) {
      const response = await call(fake, '/v1/messages', body);
      expect(response.status).toBe(400);
      const json = (await response.json()) as any;
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message).toContain(message);
      // Every response about a known model carries its rate-limit headers.
      expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    }
    expect(fake.billing.entries).toHaveLength(0);
  });

  it('accepts model aliases and echoes the id as sent', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    const response = await call(fake, '/v1/messages', {
      ...small,
      model: 'claude-haiku-4-5-20251001',
    });
    expect(((await response.json()) as any).model).toBe('claude-haiku-4-5-20251001');
    expect(fake.billing.entries[0]!.model).toBe('claude-haiku-4-5');
  });
});

describe('replies', () => {
  it('truncates a reply at max_tokens with stop_reason max_tokens', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () => reply.text('one two three four five six'),
    });
    const response = (await (
      await call(fake, '/v1/messages', { ...small, max_tokens: 4 })
    ).json()) as any;
    // one(1) two(1) three(2): four tokens.
    expect(response.content).toEqual([{ type: 'text', text: 'one two three', citations: null }]);
    expect(response.stop_reason).toBe('max_tokens');
    expect(response.usage.output_tokens).toBe(4);
  });

  it('stops at a stop sequence', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () => 'alpha beta END gamma',
    });
    const response = (await (
      await call(fake, '/v1/messages', { ...small, stop_sequences: ['END'] })
    ).json()) as any;
    expect(response.content[0].text).toBe('alpha beta ');
    expect(response).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
  });

  it('returns several tool calls with stop_reason tool_use, then reads their results', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      models: {
        [MODEL]: sequence(
          reply.toolCalls([
            { name: 'read_file', input: { path: 'a.ts' } },
            { name: 'read_file', input: { path: 'b.ts' } },
          ]),
          (request) =>
            reply.text(
              `read ${toolExchanges(request)
                .map((exchange) => exchange.result)
                .join(' and ')}`,
            ),
        ),
      },
    });
    const first = (await (await call(fake, '/v1/messages', small)).json()) as any;
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      {
        type: 'tool_use',
        id: 'toolu_fake_00000001',
        name: 'read_file',
        input: { path: 'a.ts' },
        caller: { type: 'direct' },
      },
      {
        type: 'tool_use',
        id: 'toolu_fake_00000002',
        name: 'read_file',
        input: { path: 'b.ts' },
        caller: { type: 'direct' },
      },
    ]);
    // read_file(3) + {"path":"a.ts"} ({ " path " : " a . ts " } = 11) per call
    expect(first.usage.output_tokens).toBe(2 * (3 + 11));
  });

  it('uses the second responder of a sequence with tool results', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: sequence(reply.toolUse('grep', { pattern: 'x' }), 'done'),
    });
    await call(fake, '/v1/messages', small);
    const second = (await (await call(fake, '/v1/messages', small)).json()) as any;
    expect(second.content[0].text).toBe('done');
  });

  it('answers output_config.format requests with the scripted JSON', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () => reply.json({ subtasks: [{ id: 'a' }] }),
    });
    const body = {
      ...small,
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    };
    const response = (await (await call(fake, '/v1/messages', body)).json()) as any;
    expect(JSON.parse(response.content[0].text)).toEqual({ subtasks: [{ id: 'a' }] });
  });

  it('sends a scripted error with retry-after headers and does not bill it', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () => reply.error({ status: 529, retryAfterMs: 1500 }),
    });
    const response = await call(fake, '/v1/messages', small);
    expect(response.status).toBe(529);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('retry-after-ms')).toBe('1500');
    expect(await response.json()).toMatchObject({ error: { type: 'overloaded_error' } });
    expect(fake.billing.entries).toHaveLength(0);
  });

  it('routes by a caller-chosen rule to named responders', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      responders: { planner: () => 'plan', worker: () => 'work' },
      route: (request) =>
        typeof request.system === 'string' && request.system.includes('plan')
          ? 'planner'
          : 'worker',
    });
    const planned = (await (
      await call(fake, '/v1/messages', { ...small, system: 'You plan.' })
    ).json()) as any;
    const worked = (await (await call(fake, '/v1/messages', small)).json()) as any;
    expect([planned.content[0].text, worked.content[0].text]).toEqual(['plan', 'work']);
  });
});

describe('SSE streaming', () => {
  it('sends the real event sequence with cumulative usage', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      defaultResponder: () =>
        reply.toolUse('grep', { pattern: 'needle' }, { text: 'Searching now.' }),
    });
    const response = await call(fake, '/v1/messages', { ...small, stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    const events = await readEvents(response);
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0]!.data;
    expect(start.message).toMatchObject({ content: [], stop_reason: null, model: MODEL });
    expect(start.message.usage).toMatchObject({
      input_tokens: 4,
      output_tokens: 1,
      cache_read_input_tokens: 0,
    });
    expect(events[3]!.data.delta).toEqual({ type: 'text_delta', text: 'Searching now.' });
    expect(events[5]!.data.content_block).toMatchObject({
      type: 'tool_use',
      name: 'grep',
      input: {},
    });
    expect(events[6]!.data.delta).toEqual({
      type: 'input_json_delta',
      partial_json: '{"pattern":"needle"}',
    });
    const delta = events[8]!.data;
    // Searching(3) now(1) .(1) + grep(1) + {"pattern":"needle"} (1+1+2+1+1+1+2+1+1 = 11)
    expect(delta.usage).toMatchObject({ input_tokens: 4, output_tokens: 5 + 1 + 11 });
    expect(delta.delta.stop_reason).toBe('tool_use');
    expect(fake.billing.entries[0]!.usage.output_tokens).toBe(17);
  });
});
