import { describe, expect, it } from 'vitest';
import { createFakeAnthropic, reply } from '../src/index.js';
import { call, manualClock } from './helpers.js';

const params = (index: number) => ({
  model: 'claude-haiku-5-5',
  max_tokens: 20,
  messages: [{ role: 'user', content: `item ${index}` }],
});

/** Creates a batch of `count` requests, lets it end and returns its result lines by custom id. */
async function runBatch(
  fake: ReturnType<typeof createFakeAnthropic>,
  clock: ReturnType<typeof manualClock>,
  count: number,
) {
  const requests = Array.from({ length: count }, (_, index) => ({
    custom_id: `req-${index}`,
    params: params(index),
  }));
  const created = (await (await call(fake, '/v1/messages/batches', { requests })).json()) as {
    id: string;
  };
  clock.advance(1_000);
  const response = await call(fake, `/v1/messages/batches/${created.id}/results`);
  expect(response.status).toBe(200);
  const lines = (await response.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { custom_id: string; result: { type: string } });
  return {
    id: created.id,
    types: new Map(lines.map((line) => [line.custom_id, line.result.type])),
  };
}

function fake(seed: number, batchFaults: { errored?: number; expired?: number }) {
  const clock = manualClock();
  return {
    clock,
    fake: createFakeAnthropic({
      latency: 0,
      now: clock.now,
      batchProcessingMs: 10,
      seed,
      batchFaults,
      defaultResponder: () => reply.text('ok'),
    }),
  };
}

describe('batchFaults', () => {
  it('fails about the given share of batch requests, bills only the succeeded, and replays from the seed', async () => {
    const first = fake(7, { errored: 0.2, expired: 0.1 });
    const { id, types } = await runBatch(first.fake, first.clock, 400);
    const counts = { succeeded: 0, errored: 0, expired: 0 };
    for (const type of types.values()) counts[type as keyof typeof counts] += 1;
    expect(counts.succeeded + counts.errored + counts.expired).toBe(400);
    // 80 and 40 expected; a seeded draw lands near them.
    expect(counts.errored).toBeGreaterThan(50);
    expect(counts.errored).toBeLessThan(110);
    expect(counts.expired).toBeGreaterThan(20);
    expect(counts.expired).toBeLessThan(65);
    const billed = first.fake.billing.entries.map((entry) => entry.customId);
    expect(billed).toEqual(
      [...types].filter(([, type]) => type === 'succeeded').map(([customId]) => customId),
    );
    expect(first.fake.billing.entries.every((entry) => entry.batchId === id)).toBe(true);
    // An errored request is in the transcript with status 500.
    const errored = [...types].find(([, type]) => type === 'errored')![0];
    const entry = first.fake.transcript.entries.find(
      (candidate) => candidate.source === 'batch' && candidate.customId === errored,
    );
    expect(entry?.status).toBe(500);

    // The same seed fails the same requests; another seed others.
    const again = fake(7, { errored: 0.2, expired: 0.1 });
    expect((await runBatch(again.fake, again.clock, 400)).types).toEqual(types);
    const other = fake(8, { errored: 0.2, expired: 0.1 });
    expect((await runBatch(other.fake, other.clock, 400)).types).not.toEqual(types);
  });

  it('fails nothing by default, and every request at rate 1', async () => {
    const none = fake(1, {});
    const all = fake(1, { errored: 1 });
    const clean = await runBatch(none.fake, none.clock, 20);
    expect([...clean.types.values()].every((type) => type === 'succeeded')).toBe(true);
    const failed = await runBatch(all.fake, all.clock, 20);
    expect([...failed.types.values()].every((type) => type === 'errored')).toBe(true);
    expect(all.fake.billing.entries).toHaveLength(0);
  });

  it('rejects bad rates, naming the option', () => {
    expect(() => createFakeAnthropic({ batchFaults: { errored: 1.5 } })).toThrow(
      /batchFaults\.errored/,
    );
    expect(() => createFakeAnthropic({ batchFaults: { errored: 0.6, expired: 0.6 } })).toThrow(
      /batchFaults/,
    );
    expect(() => createFakeAnthropic({ batchFaults: 'often' as never })).toThrow(/batchFaults/);
  });
});
