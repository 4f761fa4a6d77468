import { createArmy } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    latency: { firstByte: 0 },
    models: {
      'claude-haiku-5-5': (request) =>
        reply.text(`Checked: ${JSON.stringify(request.messages[0]).length} chars.`),
    },
  });
});
afterAll(() => fake.close());

const limits = { maxOutputTokens: 256 };

async function uncappedCost(items: number): Promise<number> {
  const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', limits, concurrency: 50 });
  const result = await army.map(
    Array.from({ length: items }, (_, index) => index),
    (index) => `Check item ${index}.`,
  );
  expect(result.status).toBe('done');
  return result.cost.totals.total;
}

describe('a run budget reached midway', () => {
  for (const [concurrency, items] of [
    [4, 40],
    [200, 200],
  ] as const) {
    it(`ends budget_exceeded with the finished results, never above the cap (${items} subtasks, concurrency ${concurrency})`, async () => {
      // About a third of what the whole map costs (every item costs about the same).
      const cap = Math.floor(((await uncappedCost(10)) / 10) * (items / 3));
      const army = createArmy({
        baseURL: fake.url,
        apiKey: 'test-key',
        limits,
        concurrency,
        budget: { run: cap },
      });
      const exceeded: unknown[] = [];
      army.events.on('budget:exceeded', (event) => exceeded.push(event));
      const billedBefore = fake.billing.total();
      const result = await army.map(
        Array.from({ length: items }, (_, index) => index),
        (index) => `Check item ${index}.`,
        { synthesize: true },
      );
      expect(result.status).toBe('budget_exceeded');
      expect(result.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
      expect(exceeded.length).toBeGreaterThan(0);
      expect(result.answer).toBeUndefined();
      const done = result.subtasks.filter((subtask) => subtask.status === 'done');
      const stopped = result.subtasks.filter((subtask) => subtask.status !== 'done');
      expect(done.length).toBeGreaterThan(0);
      expect(stopped.length).toBeGreaterThan(0);
      for (const subtask of done) expect(subtask.summary).toMatch(/^Checked: /);
      for (const subtask of stopped) expect(subtask.code).toBe('BUDGET_EXCEEDED');
      expect(result.subtasks).toHaveLength(items);
      // Spend never passes the cap, in the ledger and in the API's bill.
      expect(result.cost.totals.total).toBeLessThanOrEqual(cap);
      expect(fake.billing.total() - billedBefore).toBe(result.cost.totals.total);
      expect(result.cost.tree.synthesis.calls).toBe(0);
    });
  }
});
