import { describe, expect, it } from 'vitest';
import { createFakeAnthropic, reply } from '../src/index.js';
import { call, deferred, manualClock } from './helpers.js';

const MODEL = 'claude-haiku-5-5';
const small = { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

describe('rate limits', () => {
  it('serves exactly 50 of a 1,000-request burst against 50 RPM, with correct headers', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({
      latency: 0,
      now: clock.now,
      limits: { [MODEL]: { rpm: 50 } },
      defaultResponder: () => 'ok',
    });
    const responses = await Promise.all(
      Array.from({ length: 1000 }, () => call(fake, '/v1/messages', small)),
    );
    const ok = responses.filter((response) => response.status === 200);
    const limited = responses.filter((response) => response.status === 429);
    expect(ok).toHaveLength(50);
    expect(limited).toHaveLength(950);
    expect(fake.billing.entries).toHaveLength(50);

    const last = ok.at(-1)!;
    expect(last.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(last.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    const rejected = limited[0]!;
    expect(await rejected.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error' },
    });
    // One request refills in 60s / 50 = 1.2 s: retry-after is whole seconds, rounded up.
    expect(rejected.headers.get('retry-after')).toBe('2');
    expect(rejected.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    // Full again in 60 s, as an RFC 3339 time.
    expect(rejected.headers.get('anthropic-ratelimit-requests-reset')).toBe(
      new Date(clock.now() + 60_000).toISOString().replace('.000Z', 'Z'),
    );
    for (const name of ['input-tokens', 'output-tokens', 'tokens']) {
      expect(rejected.headers.get(`anthropic-ratelimit-${name}-limit`)).not.toBeNull();
      expect(rejected.headers.get(`anthropic-ratelimit-${name}-remaining`)).not.toBeNull();
    }

    // Continuous refill: 1.2 s later exactly one more request fits.
    clock.advance(1200);
    const after = await Promise.all([
      call(fake, '/v1/messages', small),
      call(fake, '/v1/messages', small),
    ]);
    expect(after.map((response) => response.status)).toEqual([200, 429]);
  });

  it('does not count cache reads toward ITPM', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({
      latency: 0,
      now: clock.now,
      limits: { [MODEL]: { itpm: 2100 } },
      defaultResponder: () => 'ok',
    });
    const cached = {
      model: MODEL,
      max_tokens: 10,
      system: [{ type: 'text', text: 'word '.repeat(2000), cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
    };
    // 2,000 written + 4 input = 2,004 of 2,100.
    expect((await call(fake, '/v1/messages', cached)).status).toBe(200);
    // Reads are free: 4 input tokens each.
    for (let index = 0; index < 20; index += 1)
      expect((await call(fake, '/v1/messages', cached)).status).toBe(200);
    expect(fake.limits.state(MODEL).itpm.remaining).toBe(2100 - 2004 - 20 * 4);
    // Without the cache breakpoint the same prompt is 2,004 uncached tokens: refused.
    const uncached = { ...cached, system: 'word '.repeat(2000) };
    const refused = await call(fake, '/v1/messages', uncached);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.message).toContain('input tokens per minute');
  });

  it('reserves max_tokens against OTPM while a request runs and refunds the unused part', async () => {
    const clock = manualClock();
    const gate = deferred();
    const arrived = deferred();
    let calls = 0;
    const fake = createFakeAnthropic({
      latency: 0,
      now: clock.now,
      limits: { [MODEL]: { otpm: 1000 } },
      defaultResponder: async () => {
        calls += 1;
        if (calls === 1) {
          arrived.resolve();
          await gate.promise;
        }
        return reply.text('word word'); // 2 output tokens
      },
    });
    const big = { ...small, max_tokens: 600 };
    const first = call(fake, '/v1/messages', big);
    await arrived.promise; // the first request holds its max_tokens while it runs
    expect(fake.limits.state(MODEL).otpm.remaining).toBe(400);
    const second = await call(fake, '/v1/messages', big);
    expect(second.status).toBe(429);
    expect(((await second.json()) as any).error.message).toContain('output tokens per minute');
    gate.resolve();
    expect((await first).status).toBe(200);
    expect(fake.limits.state(MODEL).otpm.remaining).toBe(998);
    expect((await call(fake, '/v1/messages', big)).status).toBe(200);
  });
});
