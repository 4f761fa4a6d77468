import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  countTextTokens,
  type FakeAnthropicServer,
  reply,
  STREAM_TEXT_CHUNK_TOKENS,
  startFakeAnthropic,
} from '../src/index.js';

const ANSWER = 'word '.repeat(400); // 400 output tokens, 50 text deltas of 8
const request = {
  model: 'claude-haiku-5-5',
  max_tokens: 1_000,
  messages: [{ role: 'user' as const, content: 'word word' }], // 5 input tokens
};

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('a stream the client aborts', () => {
  it('is billed for its input and the output sent before the disconnect, marked aborted', async () => {
    fake = await startFakeAnthropic({
      // A slow token rate, so the abort lands mid-stream.
      latency: { firstByte: 0, perOutputTokenMs: 4 },
      defaultResponder: () => reply.text(ANSWER),
    });
    const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
    // A complete response first, so the totals hold both kinds.
    await client.messages.create({ ...request, max_tokens: 10 });

    const controller = new AbortController();
    const stream = client.messages.stream(request, { signal: controller.signal });
    let received = '';
    let deltas = 0;
    await expect(
      (async () => {
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
            received += event.delta.text;
            deltas += 1;
            if (deltas === 3) controller.abort();
          }
        }
      })(),
    ).rejects.toThrow();
    await vi.waitFor(() => expect(fake!.billing.entries).toHaveLength(2), { timeout: 5_000 });

    const [complete, aborted] = fake.billing.entries;
    expect(complete!.aborted).toBeUndefined();
    expect(aborted).toMatchObject({ aborted: true, stream: true });
    expect(aborted!.usage.input_tokens).toBe(5);
    const receivedTokens = countTextTokens(received);
    expect(receivedTokens).toBe(3 * STREAM_TEXT_CHUNK_TOKENS);
    // Billed for what was sent: at least what the client read, at most one delta more.
    expect(aborted!.usage.output_tokens).toBeGreaterThanOrEqual(receivedTokens);
    expect(aborted!.usage.output_tokens).toBeLessThanOrEqual(
      receivedTokens + STREAM_TEXT_CHUNK_TOKENS,
    );
    expect(aborted!.usage.output_tokens).toBeLessThan(countTextTokens(ANSWER));
    // 5 input tokens at 100 nano-USD, output at 500 per token.
    expect(aborted!.cost.total).toBe(5 * 100 + aborted!.usage.output_tokens * 500);
    expect(fake.billing.aborted()).toEqual([aborted]);
    expect(fake.billing.totals()).toEqual({
      total: complete!.cost.total + aborted!.cost.total,
      complete: complete!.cost.total,
      aborted: aborted!.cost.total,
      entries: 2,
      abortedEntries: 1,
    });
    expect(fake.billing.total()).toBe(complete!.cost.total + aborted!.cost.total);
  });

  it('is not billed when aborted before message_start (during the first byte)', async () => {
    fake = await startFakeAnthropic({
      latency: { firstByte: 300 },
      defaultResponder: () => reply.text(ANSWER),
    });
    const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
    const controller = new AbortController();
    const stream = client.messages.stream(request, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(stream.finalMessage()).rejects.toThrow();
    // Let the server reach its first byte and find the client gone.
    await vi.waitFor(() => expect(fake!.transcript.entries[0]?.status).toBe(200), {
      timeout: 5_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.billing.entries).toHaveLength(0);
  });
});
