import { createGateway } from '@haiku-army/core';
import { startFakeAnthropic } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';

// The SDK refuses a non-streaming request whose max_tokens may take over 10
// minutes; gateway.call sends such a request as a stream instead, billed alike.
describe('gateway.call with a large max_tokens', () => {
  it('is sent as a stream, billed once, not retried as a connection error', async () => {
    const fake = await startFakeAnthropic({ latency: 0 });
    try {
      const gateway = createGateway({ baseURL: fake.url, apiKey: 'test-key', maxAttempts: 2 });
      const retries: unknown[] = [];
      gateway.events.on('call:retry', (event) => retries.push(event));
      const response = await gateway.call(
        {
          model: 'claude-opus-5-5',
          max_tokens: 60_000,
          messages: [{ role: 'user', content: 'Hi' }],
        },
        { runId: 'r', taskId: 't', role: 'planner' },
      );
      expect(response.message.role).toBe('assistant');
      expect(retries).toHaveLength(0);
      expect(fake.billing.entries).toHaveLength(1);
      expect(fake.transcript.messages('claude-opus-5-5')[0]).toMatchObject({ stream: true });
      expect(gateway.ledger.spent({ runId: 'r' })).toBe(fake.billing.total());
    } finally {
      await fake.close();
    }
  });
});
