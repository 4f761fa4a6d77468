import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ArmyError,
  Budget,
  BudgetExceededError,
  type CallRetryEvent,
  createGateway,
  type Gateway,
  getModel,
} from '../src/index.js';
import { inputTokensUpperBound, worstCaseCost } from '../src/internal/index.js';
import { BASE_URL, createMiniApi } from './support/mini-api.js';

const api = createMiniApi();
const attribution = { runId: 'run-1', taskId: 'task-1', role: 'worker' } as const;
const haiku = getModel('claude-haiku-5-5');
const request = {
  model: 'claude-haiku-5-5',
  max_tokens: 1_000,
  messages: [{ role: 'user' as const, content: 'Find TODOs '.repeat(100) }],
};

function gatewayWith(options: Parameters<typeof createGateway>[0] = {}): Gateway {
  const client = new Anthropic({ apiKey: 'test-key', baseURL: BASE_URL });
  return createGateway({ client, retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...options });
}

beforeAll(() => api.listen());
afterAll(() => api.close());
beforeEach(() => {
  api.queue.length = 0;
  api.requests.length = 0;
  api.countRequests.length = 0;
  api.countAnswer = 50;
});

describe('the gateway tightens a reservation before it refuses', () => {
  it('counts the input exactly when the byte bound does not fit, once per identical prompt', async () => {
    const bytes = inputTokensUpperBound(request);
    const counted = worstCaseCost(haiku, request, 50);
    // Room for the counted worst case, not for the byte bound.
    const budget = new Budget({ limits: { run: counted + 1_000 } });
    expect(worstCaseCost(haiku, request, bytes)).toBeGreaterThan(counted + 1_000);
    const gateway = gatewayWith({ budget });
    await gateway.call(request, attribution);
    expect(api.countRequests).toHaveLength(1);
    expect(api.countRequests[0]).not.toHaveProperty('max_tokens');
    expect(api.requests[0]?.body.max_tokens).toBe(1_000);
    await gateway.call(request, { ...attribution, runId: 'run-2' });
    expect(api.countRequests).toHaveLength(1); // cached
  });

  it('lowers max_tokens to what fits, and the request sent carries it', async () => {
    const inputCost = 50 * haiku.prices.input;
    const budget = new Budget({ limits: { run: inputCost + 400 * haiku.prices.output } });
    const gateway = gatewayWith({ budget, minOutputTokens: 300 });
    const response = await gateway.call(request, attribution);
    expect(api.requests[0]?.body.max_tokens).toBe(400);
    expect(response.loweredMaxTokens).toBe(400);
  });

  it('refuses below minOutputTokens, naming the output allowance as the caller knows it', async () => {
    const budget = new Budget({
      limits: { run: 50 * haiku.prices.input + 200 * haiku.prices.output },
    });
    const gateway = gatewayWith({ budget, minOutputTokens: 300 });
    const error = await gateway
      .call(request, attribution, { maxTokensLabel: 'limits.maxOutputTokens' })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    // Even the smallest output allowance alone does not fit: no count is worth asking for.
    expect(api.countRequests).toHaveLength(0);
    expect(error.breakdown).toMatchObject({
      inputTokens: inputTokensUpperBound(request),
      inputBound: 'bytes',
      outputTokens: 1_000,
      outputLabel: 'limits.maxOutputTokens',
      minOutputTokens: 300,
    });
    expect(error.message).toMatch(/limits\.maxOutputTokens 1000/);
    expect(error.message).toMatch(/lowered to 300/);
    expect(api.requests).toHaveLength(0);
  });

  it('bounds an image at its allowance, counts a document, refuses a server tool', async () => {
    const budget = new Budget({ limits: { run: 1_000_000_000 } });
    const gateway = gatewayWith({ budget });
    const image = {
      type: 'image' as const,
      source: {
        type: 'base64' as const,
        media_type: 'image/png' as const,
        data: 'A'.repeat(50_000),
      },
    };
    const withImage = {
      ...request,
      messages: [
        { role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }, image] },
      ],
    };
    // 50 KB of base64 is not 50K tokens: the image counts 1,600.
    expect(inputTokensUpperBound(withImage)).toBeLessThan(1_800);
    expect(inputTokensUpperBound(withImage)).toBeGreaterThanOrEqual(1_600);
    const pdf = {
      ...request,
      messages: [
        {
          role: 'user' as const,
          content: [
            {
              type: 'document' as const,
              source: { type: 'url' as const, url: 'https://example.com/a.pdf' },
            },
          ],
        },
      ],
    };
    expect(() => gateway.worstCase(pdf)).toThrow(/countTokens/);
    api.countAnswer = 3_000;
    await gateway.call(pdf, attribution);
    expect(api.countRequests).toHaveLength(1);
    expect(gateway.worstCase(pdf)).toBe(worstCaseCost(haiku, pdf, 3_000));
    const search = {
      ...request,
      tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const }],
    };
    const refused = await gateway.call(search, attribution).catch((caught) => caught);
    expect(ArmyError.is(refused, 'UNBOUNDED_COST')).toBe(true);
    expect(refused.message).toMatch(/web_search_20250305/);
    expect(api.requests).toHaveLength(1);
  });
});

describe('failures that say what they are', () => {
  it('a gateway with no key and no client fails its first call at once with MISSING_API_KEY', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', '');
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', '');
    try {
      const gateway = createGateway({ baseURL: BASE_URL });
      const error = await gateway.call(request, attribution).catch((caught) => caught);
      expect(error).toMatchObject({ code: 'MISSING_API_KEY', kind: 'user' });
      expect(error.message).toMatch(/ANTHROPIC_API_KEY/);
      expect(error.message).toMatch(/baseURL/);
      await expect(gateway.countTokens(request)).rejects.toMatchObject({
        code: 'MISSING_API_KEY',
      });
      const stream = gateway.stream(request, attribution);
      await expect(stream.result).rejects.toMatchObject({ code: 'MISSING_API_KEY' });
      expect(api.requests).toHaveLength(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('honours retry-after only up to maxRetryAfterMs', async () => {
    const gateway = gatewayWith({ maxRetryAfterMs: 5 });
    const retries: CallRetryEvent[] = [];
    gateway.events.on('call:retry', (event) => retries.push(event));
    api.queue.push(
      { kind: 'error', status: 429, type: 'rate_limit_error', headers: { 'retry-after': '3600' } },
      { kind: 'ok' },
    );
    await gateway.call(request, attribution);
    expect(retries.map((retry) => retry.delayMs)).toEqual([5]);
  });
});
