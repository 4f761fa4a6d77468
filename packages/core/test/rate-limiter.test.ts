import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortError, RateLimiter, type RateLimitTicket } from '../src/index.js';

const MODEL = 'claude-haiku-5-5';
const request = (inputTokens = 10, outputTokens = 10) => ({
  model: MODEL,
  inputTokens,
  outputTokens,
});

function headers(values: Record<string, number>): Headers {
  const result = new Headers();
  for (const [kind, [limit, remaining]] of Object.entries({
    requests: [values.rpm, values.requestsLeft],
    'input-tokens': [values.itpm, values.inputLeft],
    'output-tokens': [values.otpm, values.outputLeft],
  })) {
    if (limit === undefined) continue;
    result.set(`anthropic-ratelimit-${kind}-limit`, String(limit));
    if (remaining !== undefined)
      result.set(`anthropic-ratelimit-${kind}-remaining`, String(remaining));
  }
  return result;
}

describe('RateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds requests past the per-minute request limit until the bucket refills', async () => {
    const limiter = new RateLimiter({ limits: { [MODEL]: { rpm: 3 } }, now: () => Date.now() });
    const granted: number[] = [];
    const all = Array.from({ length: 5 }, (_, index) =>
      limiter.acquire(request()).then(() => granted.push(index)),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(granted).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([0, 1, 2, 3]);
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(all);
    expect(granted).toEqual([0, 1, 2, 3, 4]);
  });

  it('refunds unused max_tokens and counts only the real input', async () => {
    const limiter = new RateLimiter({
      limits: { [MODEL]: { itpm: 1_000, otpm: 1_000 } },
      now: () => Date.now(),
    });
    const ticket = await limiter.acquire(request(800, 900));
    expect(limiter.stats(MODEL).available).toEqual({ inputTokens: 200, outputTokens: 100 });
    ticket.settle({ inputTokens: 100, outputTokens: 50 });
    expect(limiter.stats(MODEL).available).toEqual({ inputTokens: 900, outputTokens: 950 });
    let second = false;
    limiter.acquire(request(800, 900)).then(() => {
      second = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBe(true);
  });

  it('lets one probe through for an unknown model, then learns the limits from headers', async () => {
    const limiter = new RateLimiter({ now: () => Date.now() });
    const tickets: RateLimitTicket[] = [];
    const pending = Array.from({ length: 4 }, () =>
      limiter.acquire(request()).then((ticket) => tickets.push(ticket)),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(tickets.length).toBe(1);
    // The server says: 60 requests a minute, 1 left.
    limiter.observe(MODEL, headers({ rpm: 60, requestsLeft: 1 }));
    tickets[0]?.settle({ inputTokens: 10, outputTokens: 10 });
    await vi.advanceTimersByTimeAsync(0);
    expect(tickets.length).toBe(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(tickets.length).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(tickets.length).toBe(3);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(pending);
    expect(limiter.stats(MODEL).limits).toEqual({ rpm: 60 });
  });

  it('treats a model whose responses carry no headers as unlimited after the probe', async () => {
    const limiter = new RateLimiter({ now: () => Date.now() });
    const first = await limiter.acquire(request());
    first.settle({ inputTokens: 1, outputTokens: 1 });
    const rest = await Promise.all(Array.from({ length: 50 }, () => limiter.acquire(request())));
    expect(rest.length).toBe(50);
    expect(limiter.stats(MODEL).inFlight).toBe(50);
  });

  it('rejects an aborted waiter without taking capacity', async () => {
    const limiter = new RateLimiter({ limits: { [MODEL]: { rpm: 1 } }, now: () => Date.now() });
    await limiter.acquire(request());
    const controller = new AbortController();
    const waiting = limiter.acquire(request(), { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(limiter.stats(MODEL).waiting).toBe(0);
  });

  it('pauses a model until a retry-after passes', async () => {
    const limiter = new RateLimiter({ limits: { [MODEL]: { rpm: 100 } }, now: () => Date.now() });
    limiter.pause(MODEL, 5_000);
    let granted = false;
    limiter.acquire(request()).then(() => {
      granted = true;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toBe(true);
  });
});
