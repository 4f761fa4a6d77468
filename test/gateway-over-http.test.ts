import Anthropic from '@anthropic-ai/sdk';
import {
  Budget,
  type CallRetryEvent,
  CostLedger,
  createEvents,
  createGateway,
  RateLimiter,
  usd,
} from '@haiku-army/core';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('the gateway against the fake API over HTTP', () => {
  it('with 10% faults, every call lands once and the ledger equals the server bill exactly', async () => {
    fake = await startFakeAnthropic({
      latency: 0,
      seed: 7,
      faults: {
        rateLimit: 0.02,
        overloaded: 0.02,
        serverError: 0.02,
        disconnect: 0.02,
        streamCut: 0.01,
        streamErrorEvent: 0.01,
        retryAfterMs: 2,
      },
      models: {
        'claude-haiku-5-5': (request) =>
          reply.text(`checked ${JSON.stringify(request.messages.at(-1)?.content).length} chars`),
      },
    });
    const events = createEvents();
    const retries: CallRetryEvent[] = [];
    events.on('call:retry', (event) => retries.push(event));
    const ledger = new CostLedger();
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      ledger,
      events,
      budget: new Budget({ limits: { run: usd(1) } }),
      rateLimiter: new RateLimiter(),
      maxAttempts: 10,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 4,
    });

    const calls = Array.from({ length: 120 }, async (_, index) => {
      const request = {
        model: 'claude-haiku-5-5',
        max_tokens: 64,
        messages: [
          {
            role: 'user' as const,
            content: `Shard ${index}: ${'look for TODO markers; '.repeat(index % 9)}`,
          },
        ],
      };
      const attribution = {
        runId: 'run-1',
        taskId: `shard-${index}`,
        parentTaskId: 'plan',
        role: 'worker',
      };
      if (index % 2 === 0) return gateway.call(request, attribution);
      const stream = gateway.stream(request, attribution);
      return stream.result;
    });
    const responses = await Promise.all(calls);

    expect(responses).toHaveLength(120);
    expect(retries.length).toBeGreaterThan(0);
    expect(ledger.entries()).toHaveLength(120);
    expect(fake.billing.entries).toHaveLength(120);
    expect(ledger.spent()).toBe(fake.billing.total());
    // Reconcile call by call through the API's request ids.
    const billed = new Map(
      fake.billing.entries.map((entry) => [entry.requestId, entry.cost.total]),
    );
    for (const entry of ledger.entries())
      expect(billed.get(entry.requestId as string)).toBe(entry.cost.total);
    // Each shard is billed to itself, and the plan's subtree holds them all.
    expect(Object.keys(ledger.byTask())).toHaveLength(120);
    expect(ledger.subtree('plan').cost.total).toBe(fake.billing.total());
  });

  it('counts tokens through the gateway without billing', async () => {
    fake = await startFakeAnthropic({ latency: 0 });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
    });
    const tokens = await gateway.countTokens({
      model: 'claude-haiku-5-5',
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    expect(tokens).toBeGreaterThan(0);
    expect(fake.billing.entries).toHaveLength(0);
  });

  it('waits out the learned rate limit instead of drawing 429s', async () => {
    fake = await startFakeAnthropic({ latency: 0, limits: { 'claude-haiku-5-5': { rpm: 10 } } });
    const rateLimiter = new RateLimiter();
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      rateLimiter,
      retryBaseDelayMs: 1,
    });
    const retries: unknown[] = [];
    gateway.events.on('call:retry', (event) => retries.push(event));
    const request = {
      model: 'claude-haiku-5-5',
      max_tokens: 16,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const attribution = { runId: 'run-1', taskId: 'burst', role: 'worker' };
    const burst = Array.from({ length: 10 }, () => gateway.call(request, attribution));
    await Promise.all(burst);
    // One probe taught the limiter the limit; the other nine fitted in the remaining capacity.
    expect(rateLimiter.stats('claude-haiku-5-5').limits.rpm).toBe(10);
    expect(retries).toEqual([]);
    expect(fake.billing.entries).toHaveLength(10);
    // The next request would be refused by the server, so the limiter holds it.
    const controller = new AbortController();
    const held = gateway.call(request, attribution, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rateLimiter.stats('claude-haiku-5-5').waiting).toBe(1);
    controller.abort();
    await expect(held).rejects.toMatchObject({ code: 'ABORTED' });
    expect(fake.billing.entries).toHaveLength(10);
  });
});
