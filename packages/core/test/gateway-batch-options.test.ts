import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import {
  type ArmyError,
  type BatchEndedEvent,
  type BatchItem,
  createGateway,
  ERROR_CODES,
} from '../src/index.js';
import { BATCH_BASE_URL, miniBatches } from './support/mini-batches.js';

function item(taskId: string, attempt?: number): BatchItem {
  return {
    request: {
      model: 'claude-haiku-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: `Task ${taskId}` }],
    },
    attribution: {
      runId: 'run-1',
      taskId,
      role: 'worker',
      ...(attempt !== undefined ? { attempt } : {}),
    },
  };
}

function setup() {
  const api = miniBatches();
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
    maxAttempts: 2,
    retryBaseDelayMs: 1,
  });
  return { api, gateway };
}

function caught(run: () => unknown): ArmyError | undefined {
  try {
    run();
  } catch (error) {
    return error as ArmyError;
  }
  return undefined;
}

const fast = { pollIntervalMs: 1, maxPollIntervalMs: 1 };

describe('batch options and attributions are checked up front', () => {
  it("caps the chunk limits at the API's", () => {
    const { gateway, api } = setup();
    const tooMany = caught(() => gateway.batch([item('a')], { maxRequestsPerBatch: 100_001 }));
    expect(tooMany?.code).toBe(ERROR_CODES.INVALID_OPTIONS);
    expect(tooMany?.message).toMatch(/maxRequestsPerBatch/);
    const tooBig = caught(() =>
      gateway.batch([item('a')], { maxBatchBytes: 256 * 1024 * 1024 + 1 }),
    );
    expect(tooBig?.code).toBe(ERROR_CODES.INVALID_OPTIONS);
    expect(api.log).toEqual([]);
  });

  it('names attribution.attempt when it is not an integer', () => {
    const { gateway } = setup();
    const error = caught(() => gateway.batch([item('a', 1.5)]));
    expect(error?.code).toBe(ERROR_CODES.INVALID_OPTIONS);
    expect(error?.message).toMatch(/items\[0\]\.attribution\.attempt/);
  });

  it('validates resumeBatch attributions before any request', () => {
    const { gateway, api } = setup();
    const error = caught(() =>
      gateway.resumeBatch('msgbatch_1', { 'ok-id': { runId: 'r', taskId: '', role: 'worker' } }),
    );
    expect(error?.code).toBe(ERROR_CODES.INVALID_OPTIONS);
    expect(error?.message).toMatch(/taskId/);
    const badId = caught(() =>
      gateway.resumeBatch('msgbatch_1', {
        'has space': { runId: 'r', taskId: 't', role: 'worker' },
      }),
    );
    expect(badId?.code).toBe(ERROR_CODES.INVALID_OPTIONS);
    expect(api.log).toEqual([]);
  });

  it('handles a custom id of __proto__', async () => {
    const { gateway, api } = setup();
    let attributions: Record<string, unknown> | undefined;
    const run = gateway.batch([{ ...item('a'), customId: '__proto__' }], {
      ...fast,
      onSubmitted: (submission) => {
        attributions = submission.attributions;
        api.end();
      },
    });
    const result = await run.result;
    expect(result.counts.succeeded).toBe(1);
    expect(Object.keys(attributions!)).toEqual(['__proto__']);
    expect(gateway.ledger.entries()[0]).toMatchObject({ customId: '__proto__', taskId: 'a' });
  });
});

describe('cancelling at the deadline', () => {
  it('retries a failed cancel on the next poll and reports canceled only when it took effect', async () => {
    const { gateway, api } = setup();
    api.failCancels = 2; // every attempt of the first cancel
    const ended: BatchEndedEvent[] = [];
    gateway.events.on('batch:ended', (event) => ended.push(event));
    const result = await gateway.batch([item('a')], { ...fast, deadlineMs: 0 }).result;
    expect(api.log.filter((line) => line.endsWith('/cancel'))).toHaveLength(3);
    expect(result).toMatchObject({ deadlineReached: true });
    expect(result.counts.canceled).toBe(1);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.canceled).toBe(true);
  });

  it('says canceled: false when the batch had ended before the cancel', async () => {
    const { gateway, api } = setup();
    const ended: BatchEndedEvent[] = [];
    gateway.events.on('batch:ended', (event) => ended.push(event));
    let polls = 0;
    const original = api.fetch;
    api.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      // The batch ends between the first poll and the deadline's cancel.
      if (/batches\/[^/]+$/.test(String(input)) && ++polls === 1) {
        const response = await original(input, init);
        api.end();
        return response;
      }
      return original(input, init);
    }) as typeof fetch;
    const second = createGateway({
      client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
    });
    second.events.on('batch:ended', (event) => ended.push(event));
    void gateway;
    const result = await second.batch([item('a')], { ...fast, deadlineMs: 0 }).result;
    expect(result.counts.succeeded).toBe(1);
    expect(ended.map((event) => event.canceled)).toEqual([false]);
  });
});
