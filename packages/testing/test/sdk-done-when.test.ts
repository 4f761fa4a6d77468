import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '../src/index.js';
import { cachedRequest, deferred } from './helpers.js';

// The "done when" checks that need the SDK over real HTTP and are
// not covered in sdk-over-http.test.ts.

/** A `sleep` that holds the first `count` responses until all of them have arrived. */
function holdUntil(count: number) {
  let arrived = 0;
  const all = deferred();
  return async () => {
    arrived += 1;
    if (arrived === count) all.resolve();
    await all.promise;
  };
}

describe('prompt caching through the SDK over HTTP', () => {
  it('20 requests in flight at once all write the 2,000-token prefix', async () => {
    const fake = await startFakeAnthropic({
      defaultResponder: () => 'ok',
      // Every response begins only once all 20 requests have arrived: truly "at once".
      latency: { firstByte: 1 },
      sleep: holdUntil(20),
    });
    try {
      const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
      const messages = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          client.messages.create(cachedRequest('claude-haiku-5-5', index)),
        ),
      );
      for (const message of messages) {
        expect(message.usage).toMatchObject({
          cache_creation_input_tokens: 2000,
          cache_read_input_tokens: 0,
          input_tokens: 6,
        });
      }
      expect(fake.billing.entries).toHaveLength(20);
    } finally {
      await fake.close();
    }
  });

  it('one first, then 19 after its response began: 1 write and 19 reads; none on claude-haiku-4-5', async () => {
    const fake = await startFakeAnthropic({ latency: 0, defaultResponder: () => 'ok' });
    try {
      const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
      for (const model of ['claude-haiku-5-5', 'claude-haiku-4-5']) {
        const first = await client.messages.create(cachedRequest(model, 0));
        const rest = await Promise.all(
          Array.from({ length: 19 }, (_, index) =>
            client.messages.create(cachedRequest(model, index + 1)),
          ),
        );
        const usages = [first, ...rest].map((message) => message.usage);
        const writes = usages.filter((usage) => usage.cache_creation_input_tokens === 2000);
        const reads = usages.filter((usage) => usage.cache_read_input_tokens === 2000);
        if (model === 'claude-haiku-5-5') {
          expect([writes.length, reads.length]).toEqual([1, 19]);
          expect(first.usage.cache_creation_input_tokens).toBe(2000);
        } else {
          // Below claude-haiku-4-5's 4,096-token minimum: no caching and no error.
          expect([writes.length, reads.length]).toEqual([0, 0]);
          for (const usage of usages) expect(usage.input_tokens).toBe(2006);
        }
      }
      expect(fake.billing.entries).toHaveLength(40);
    } finally {
      await fake.close();
    }
  });
});

describe('the SDK against the HTTP server', () => {
  it("recovers from a rate-limit 429 that carries only retry-after, with the SDK's own retries", async () => {
    // 60 RPM refills one request a second. The fake's clock stands still until
    // the 429 is sent, then moves one second, so the retry fits exactly.
    const start = Date.now();
    let fake: FakeAnthropicServer | undefined;
    const limited = () => fake?.transcript.entries.some((entry) => entry.status === 429) ?? false;
    fake = await startFakeAnthropic({
      latency: 0,
      now: () => start + (limited() ? 1000 : 0),
      limits: { 'claude-haiku-5-5': { rpm: 60 } },
      defaultResponder: () => reply.text('ok'),
    });
    try {
      const seen: { status: number; retryAfter: string | null; retryAfterMs: string | null }[] = [];
      const client = new Anthropic({
        apiKey: 'test-key',
        baseURL: fake.url,
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          seen.push({
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            retryAfterMs: response.headers.get('retry-after-ms'),
          });
          return response;
        },
      });
      const params = {
        model: 'claude-haiku-5-5',
        max_tokens: 10,
        messages: [{ role: 'user' as const, content: 'hi' }],
      };
      await Promise.all(Array.from({ length: 60 }, () => client.messages.create(params)));
      seen.length = 0;
      const message = await client.messages.create(params);
      expect(message.content[0]).toMatchObject({ type: 'text', text: 'ok' });
      expect(seen).toEqual([
        { status: 429, retryAfter: '1', retryAfterMs: null },
        { status: 200, retryAfter: null, retryAfterMs: null },
      ]);
      expect(fake.billing.entries).toHaveLength(61);
    } finally {
      await fake.close();
    }
  });

  it('gives results_url on the host the client used', async () => {
    const fake = await startFakeAnthropic({ latency: 0, batchProcessingMs: 0 });
    try {
      const baseURL = fake.url.replace('127.0.0.1', 'localhost');
      const client = new Anthropic({ apiKey: 'test-key', baseURL });
      const created = await client.messages.batches.create({
        requests: [
          {
            custom_id: 'only',
            params: {
              model: 'claude-haiku-5-5',
              max_tokens: 10,
              messages: [{ role: 'user', content: 'hi' }],
            },
          },
        ],
      });
      const batch = await client.messages.batches.retrieve(created.id);
      expect(batch.results_url).toBe(`${baseURL}/v1/messages/batches/${created.id}/results`);
      const results = [];
      for await (const result of await client.messages.batches.results(created.id))
        results.push(result.custom_id);
      expect(results).toEqual(['only']);
    } finally {
      await fake.close();
    }
  });
});
