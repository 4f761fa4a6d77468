import Anthropic from '@anthropic-ai/sdk';
import { Budget, BudgetExceededError, CostLedger, createGateway } from '@haiku-army/core';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  // A model that always talks until max_tokens cuts it off: the worst case for output.
  fake = await startFakeAnthropic({
    latency: 0,
    defaultResponder: () => reply.text('word '.repeat(50_000)),
  });
});
afterAll(() => fake.close());

describe('hard budgets end to end', () => {
  it('the reserved worst case is never below what the API bills (property, any text)', async () => {
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-4-6'),
        fc.oneof(
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }),
          fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 400 }),
        ),
        fc.option(fc.string({ minLength: 1, maxLength: 300 }), { nil: undefined }),
        fc.integer({ min: 1, max: 300 }),
        async (model, text, system, maxTokens) => {
          const request = {
            model,
            max_tokens: maxTokens,
            ...(system ? { system } : {}),
            messages: [{ role: 'user' as const, content: text }],
          };
          const worst = gateway.worstCase(request);
          const { cost } = await gateway.call(request, {
            runId: 'prop',
            taskId: 't',
            role: 'worker',
          });
          expect(worst).toBeGreaterThanOrEqual(cost.total);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('100 concurrent calls under a tight run cap: the bill never passes the cap', async () => {
    const before = fake.billing.total();
    const ledger = new CostLedger();
    const cap = 2_000_000; // $0.002
    const budget = new Budget({ limits: { run: cap } });
    const gateway = createGateway({
      client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
      ledger,
      budget,
    });
    const request = {
      model: 'claude-haiku-5-5',
      max_tokens: 200,
      messages: [{ role: 'user' as const, content: 'Summarise the file.' }],
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, index) =>
        gateway.call(request, { runId: 'tight', taskId: `t${index}`, role: 'worker' }),
      ),
    );
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const outcome of refused)
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    expect(refused.length).toBeGreaterThan(0);
    expect(fake.billing.total() - before).toBe(ledger.spent());
    expect(ledger.spent()).toBeLessThanOrEqual(cap);
    expect(budget.status('run', 'tight')).toMatchObject({ spent: ledger.spent(), reserved: 0 });
  });
});
