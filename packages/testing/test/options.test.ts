import { ArmyError } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import {
  createFakeAnthropic,
  type FakeAnthropicOptions,
  startFakeAnthropic,
} from '../src/index.js';
import { call } from './helpers.js';

function invalid(options: unknown): ArmyError {
  try {
    createFakeAnthropic(options as FakeAnthropicOptions);
  } catch (error) {
    if (error instanceof ArmyError) return error;
    throw error;
  }
  throw new Error('expected createFakeAnthropic to throw');
}

describe('options', () => {
  it('rejects bad options with INVALID_OPTIONS naming the option', () => {
    const cases: [unknown, string][] = [
      [{ seed: 1.5 }, 'Expected `seed` to be an integer, got 1.5.'],
      [{ now: 5 }, 'Expected `now` to be a function, got 5.'],
      [{ sleep: 'soon' }, 'Expected `sleep` to be a function, got "soon".'],
      [{ batchProcessingMs: -1 }, 'Expected `batchProcessingMs` to be a number of milliseconds'],
      [{ apiKeys: [] }, 'Expected `apiKeys` to be a non-empty array of non-empty strings'],
      [{ apiKeys: ['ok', ''] }, 'Expected `apiKeys` to be a non-empty array'],
      [{ baseURL: 'not a url' }, 'Expected `baseURL` to be an absolute http(s) URL'],
      [
        { latency: { firstByte: -5 } },
        'Expected `latency.firstByte` to be a number of milliseconds',
      ],
      [
        { latency: { firstByte: { type: 'uniform', minMs: 10, maxMs: 5 } } },
        'Expected `latency.firstByte.maxMs` to be a number >= minMs (10), got 5.',
      ],
      [
        { latency: { firstByte: { type: 'gaussian' } } },
        "Expected `latency.firstByte.type` to be one of 'fixed', 'uniform', 'lognormal'",
      ],
      [{ limits: { 'claude-haiku-5-5': { rpm: 0 } } }, 'Expected `limits.claude-haiku-5-5.rpm`'],
      [{ defaultLimits: { otpm: -1 } }, 'Expected `defaultLimits.otpm` to be a number > 0'],
      [{ faults: { rateLimit: 2 } }, 'Expected `faults.rateLimit` to be a probability from 0 to 1'],
      [{ faults: { retryAfterMs: -1 } }, 'Expected `faults.retryAfterMs`'],
      [{ models: { 'claude-haiku-5-5': 'hi' } }, 'Expected `models.claude-haiku-5-5` to be a'],
      [{ responders: { planner: null } }, 'Expected `responders.planner` to be a responder'],
    ];
    for (const [options, message] of cases) {
      const error = invalid(options);
      expect(error.code, message).toBe('INVALID_OPTIONS');
      expect(error.message).toContain(message);
    }
  });

  it('rejects an unknown model named in an option, naming the option', () => {
    for (const options of [
      { limits: { 'claude-haiku-9': { rpm: 1 } } },
      { latency: { models: { 'claude-haiku-9': { firstByte: 1 } } } },
      { models: { 'claude-haiku-9': () => 'hi' } },
      { faults: { models: { 'claude-haiku-9': { overloaded: 1 } } } },
    ]) {
      const error = invalid(options);
      expect(error.code).toBe('UNKNOWN_MODEL');
      expect(error.message).toMatch(
        /^Unknown model "claude-haiku-9" in `(limits|latency\.models|models|faults\.models)`/,
      );
    }
    expect(() => createFakeAnthropic({ latency: 0 }).script('claude-haiku-9', () => 'hi')).toThrow(
      'Unknown model "claude-haiku-9" in `script(model)`',
    );
    expect(() =>
      createFakeAnthropic({ latency: 0 }).limits.set('claude-haiku-9', { rpm: 1 }),
    ).toThrow('in `limits`');
  });

  it('rejects a bad port or host before listening', async () => {
    await expect(startFakeAnthropic({ port: 70_000 })).rejects.toThrow(
      'Expected `port` to be an integer from 0 to 65535, got 70000.',
    );
    await expect(startFakeAnthropic({ host: '' })).rejects.toThrow('Expected `host`');
  });

  it('applies limits, latency and faults keyed by an alias to the model', async () => {
    const slept: number[] = [];
    const fake = createFakeAnthropic({
      faults: { models: { 'claude-haiku-4-5-20251001': { serverError: 1 } } },
      limits: { 'claude-haiku-4-5-20251001': { rpm: 1 } },
      latency: { models: { 'claude-haiku-4-5-20251001': { firstByte: 25 } } },
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const body = {
      model: 'claude-haiku-4-5',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    };
    expect((await call(fake, '/v1/messages', body)).status).toBe(500);
    fake.faults.configure({});
    fake.faults.enqueue({ kind: 'overloaded', model: 'claude-haiku-4-5-20251001' });
    expect((await call(fake, '/v1/messages', body)).status).toBe(529);
    const first = await call(fake, '/v1/messages', body);
    expect(first.headers.get('anthropic-ratelimit-requests-limit')).toBe('1');
    expect(slept).toEqual([25]);
    expect((await call(fake, '/v1/messages', body)).status).toBe(429);
    expect(fake.limits.state('claude-haiku-4-5-20251001').rpm).toEqual({ limit: 1, remaining: 0 });
  });
});
