import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFakeAnthropic,
  DEFAULT_FIRST_BYTE_MS,
  type LatencySetting,
  reply,
  startFakeAnthropic,
} from '../src/index.js';
import { cachedRequest, call } from './helpers.js';

describe('default latency', () => {
  it('with no options, 20 concurrent SDK requests all write the prefix; a 21st after them reads it', async () => {
    const fake = await startFakeAnthropic();
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
        });
      }
      const last = await client.messages.create(cachedRequest('claude-haiku-5-5', 20));
      expect(last.usage).toMatchObject({
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2000,
      });
      expect(fake.billing.entries).toHaveLength(21);
    } finally {
      await fake.close();
    }
  });

  it('waits the documented first byte of each tier, and not at all with latency: 0', async () => {
    const waits = async (latency: LatencySetting | undefined) => {
      const slept: number[] = [];
      const fake = createFakeAnthropic({
        ...(latency === undefined ? {} : { latency }),
        sleep: async (ms) => {
          slept.push(ms);
        },
        defaultResponder: () => 'ok',
      });
      for (const model of ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5']) {
        for (const stream of [false, true]) {
          const response = await call(fake, '/v1/messages', {
            ...cachedRequest(model, 1),
            stream,
          });
          await response.text();
        }
      }
      return slept;
    };
    const { haiku, sonnet, opus } = DEFAULT_FIRST_BYTE_MS;
    expect([haiku, sonnet, opus].every((ms) => ms > 0)).toBe(true);
    expect(await waits(undefined)).toEqual([haiku, haiku, sonnet, sonnet, opus, opus]);
    expect(await waits(0)).toEqual([]);
    expect(await waits({ firstByte: 0 })).toEqual([]);
    expect(await waits(7)).toEqual([7, 7, 7, 7, 7, 7]);
    // A per-token setting alone keeps the default first byte.
    expect(
      await waits({ perOutputTokenMs: 0, models: { 'claude-opus-5-5': { firstByte: 1 } } }),
    ).toEqual([haiku, haiku, sonnet, sonnet, 1, 1]);
  });
});

/** A virtual clock whose timers fire only when the test advances them. */
function virtualTime() {
  let time = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    now: () => time,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: time + ms, resolve });
      }),
    /** Fires every timer due by `until`, in time order, letting each settle. */
    async runUntil(until: number) {
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > until) break;
        timers.shift();
        time = Math.max(time, next.at);
        next.resolve();
      }
      time = Math.max(time, until);
      await new Promise((resolve) => setImmediate(resolve));
    },
    pending: () => timers.length,
  };
}

// undefined: the default first byte, with its hold while requests keep arriving.
const latencyArbitrary: fc.Arbitrary<LatencySetting | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(0),
  fc.integer({ min: 0, max: 60 }),
  fc.record({
    firstByte: fc.oneof(
      fc.integer({ min: 0, max: 60 }),
      fc.record({
        type: fc.constant('uniform' as const),
        minMs: fc.integer({ min: 0, max: 20 }),
        maxMs: fc.integer({ min: 20, max: 80 }),
      }),
      fc.record({
        type: fc.constant('lognormal' as const),
        medianMs: fc.integer({ min: 1, max: 40 }),
        sigma: fc.constantFrom(0.2, 1),
      }),
    ),
    perOutputTokenMs: fc.integer({ min: 0, max: 3 }),
  }),
);

describe('a cache entry is readable only once its writer’s response has begun', () => {
  it('holds for any latency settings, JSON or SSE, and any arrival times (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        latencyArbitrary,
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.record({ arrival: fc.integer({ min: 0, max: 100 }), stream: fc.boolean() }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (latency, seed, requests) => {
          const clock = virtualTime();
          const fake = createFakeAnthropic({
            ...(latency === undefined ? {} : { latency }),
            seed,
            now: clock.now,
            sleep: clock.sleep,
            defaultResponder: () => reply.text('word '.repeat(30)),
          });
          const order = requests
            .map((request, index) => ({ ...request, index }))
            .sort((a, b) => a.arrival - b.arrival);
          const log: { kind: 'arrive' | 'begin'; index: number }[] = [];
          const usages = new Map<number, any>();
          const done: Promise<void>[] = [];
          for (const request of order) {
            await clock.runUntil(request.arrival);
            log.push({ kind: 'arrive', index: request.index });
            done.push(
              call(fake, '/v1/messages', {
                ...cachedRequest('claude-haiku-5-5', request.index),
                stream: request.stream,
              }).then(async (response) => {
                // JSON: the response begins when it is produced; SSE: at message_start,
                // which is created with the Response.
                log.push({ kind: 'begin', index: request.index });
                const text = await response.text();
                const usage = request.stream
                  ? JSON.parse(/event: message_start\ndata: (.*)/.exec(text)![1]!).message.usage
                  : JSON.parse(text).usage;
                usages.set(request.index, usage);
              }),
            );
          }
          while (usages.size < requests.length) await clock.runUntil(clock.now() + 1_000);
          await Promise.all(done);
          for (const request of order) {
            const arrivedAt = log.findIndex(
              (event) => event.kind === 'arrive' && event.index === request.index,
            );
            const someWriterBegan = log.slice(0, arrivedAt).some((event) => event.kind === 'begin');
            expect(usages.get(request.index)).toMatchObject(
              someWriterBegan
                ? { cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 }
                : { cache_read_input_tokens: 0, cache_creation_input_tokens: 2000 },
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
