import Anthropic from '@anthropic-ai/sdk';
import {
  Budget,
  type BudgetEvent,
  CostLedger,
  createGateway,
  type GatewayOptions,
  usd,
} from '@haiku-army/core';
import {
  type FakeAnthropicServer,
  type Responder,
  reply,
  type StartFakeAnthropicOptions,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { WorkerPool } from '@haiku-army/worker';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

const HAIKU = 'claude-haiku-5-5';
let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function harness(
  options: StartFakeAnthropicOptions,
  budget: Budget,
  gatewayOptions: Omit<GatewayOptions, 'client'> = {},
) {
  // Explicit latency: the tests must not depend on the fake's default.
  fake = await startFakeAnthropic({ latency: { firstByte: 1 }, ...options });
  const ledger = new CostLedger();
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'test-key', baseURL: fake.url }),
    ledger,
    budget,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...gatewayOptions,
  });
  return { fake, ledger, gateway };
}

describe('a hard budget that can be spent close to its cap', () => {
  for (const concurrency of [1, 8]) {
    it(`$0.01 run cap over 30 small worker tasks at concurrency ${concurrency}: >= 90% spent before the first refusal, never above the cap`, async () => {
      const cap = usd(0.01);
      const budget = new Budget({ limits: { run: cap } });
      // Each task's answer is 600 tokens of plain text (about $0.0007 a task over its
      // two calls): 30 of them need twice the cap.
      const worker: Responder = () => reply.text('word '.repeat(600));
      const { fake, ledger, gateway } = await harness({ models: { [HAIKU]: worker } }, budget);
      let spentAtFirstRefusal: number | undefined;
      const refusals: BudgetEvent[] = [];
      gateway.events.on('budget:exceeded', (event) => {
        spentAtFirstRefusal ??= ledger.spent();
        refusals.push(event);
      });
      const pool = new WorkerPool({ gateway, concurrency, runId: 'spend' });
      const tasks = Array.from({ length: 30 }, (_, index) => ({
        id: `task-${index}`,
        brief: `Describe item ${index}.`,
      }));
      const results = await pool.submitAll(tasks);

      expect(results).toHaveLength(30);
      expect(refusals.length).toBeGreaterThan(0);
      expect(spentAtFirstRefusal).toBeGreaterThanOrEqual(0.9 * cap);
      expect(ledger.spent()).toBeLessThanOrEqual(cap);
      expect(fake.billing.total()).toBe(ledger.spent());
      expect(budget.status('run', 'spend')).toMatchObject({ spent: ledger.spent(), reserved: 0 });
      // The refusal says what was reserved, with the numbers on the event.
      expect(refusals[0]).toMatchObject({
        scope: 'run',
        breakdown: {
          inputBound: expect.stringMatching(/bytes|counted/),
          outputLabel: 'limits.maxOutputTokens',
        },
      });
      const refused = results.filter((result) => result.code === 'BUDGET_EXCEEDED');
      expect(refused.length).toBeGreaterThan(0);
      // Every task either finished or was refused: none failed for another reason.
      for (const result of results)
        expect(result.status === 'done' || result.code === 'BUDGET_EXCEEDED').toBe(true);
      expect(results.filter((result) => result.status === 'done').length).toBeGreaterThan(5);
    });
  }

  it('the worker quick start (task cap $0.05) is not refused when the byte bound crosses the long-context threshold', async () => {
    const budget = new Budget({ limits: { run: usd(1), task: usd(0.05) } });
    // A 120 KB brief: the request's JSON passes the 100K-token long-context threshold, its tokens do not.
    const brief = `Summarise this text. ${'lorem ipsum dolor sit amet '.repeat(4_500)}`;
    const worker: Responder = () =>
      reply.toolUse('submit_result', { status: 'done', summary: 'Summarised.' });
    const { ledger, gateway } = await harness({ models: { [HAIKU]: worker } }, budget);
    const refusals: BudgetEvent[] = [];
    gateway.events.on('budget:exceeded', (event) => refusals.push(event));
    const pool = new WorkerPool({ gateway, concurrency: 2, runId: 'quick' });
    const task = { id: 'src/index.ts', brief };
    const [result] = await pool.submitAll([task]);
    expect(refusals).toEqual([]);
    expect(result).toMatchObject({ status: 'done' });
    expect(ledger.spent()).toBeLessThan(usd(0.05));
    expect(ledger.spent()).toBeGreaterThan(0);
    // The byte bound alone would have reserved more than the task cap: counting made it fit.
    expect(fake?.billing.entries.length).toBe(1);
  });
});

/** A content block the JSON size of which says nothing about its billed tokens. */
const mediaBlock = fc.oneof(
  fc.record({
    type: fc.constant('image' as const),
    source: fc.oneof(
      fc.record({
        type: fc.constant('base64' as const),
        media_type: fc.constant('image/png' as const),
        data: fc.base64String({ maxLength: 64 }),
      }),
      fc.record({
        type: fc.constant('url' as const),
        url: fc.constant('https://example.com/a.png'),
      }),
    ),
  }),
  fc.record({
    type: fc.constant('document' as const),
    source: fc.oneof(
      fc.record({
        type: fc.constant('base64' as const),
        media_type: fc.constant('application/pdf' as const),
        data: fc.base64String({ maxLength: 64 }),
      }),
      fc.record({
        type: fc.constant('url' as const),
        url: fc.constant('https://example.com/a.pdf'),
      }),
      fc.record({ type: fc.constant('file' as const), file_id: fc.constant('file_011') }),
    ),
  }),
);

const userContent = fc.tuple(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
  fc.array(mediaBlock, { maxLength: 3 }),
);

describe('the reservation is a true bound with images and documents (property, against the fake)', () => {
  it('never reserves less than the fake bills, and a tight cap is never passed', async () => {
    fake = await startFakeAnthropic({
      latency: { firstByte: 0 },
      defaultResponder: () => reply.text('word '.repeat(50_000)),
    });
    const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('claude-haiku-5-5', 'claude-sonnet-5-5'),
        fc.array(userContent, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 200_000, max: 3_000_000 }),
        async (model, contents, maxTokens, cap) => {
          const ledger = new CostLedger();
          const budget = new Budget({ limits: { run: cap } });
          const reserved: number[] = [];
          const acquire = budget.acquire.bind(budget);
          budget.acquire = async (request, options) => {
            const reservation = await acquire(request, options);
            reserved.push(reservation.amount);
            return reservation;
          };
          const gateway = createGateway({ client, ledger, budget, minOutputTokens: 16 });
          const before = fake!.billing.total();
          const request = {
            model,
            max_tokens: maxTokens,
            messages: contents.map(([text, media]) => ({
              role: 'user' as const,
              content: [{ type: 'text' as const, text }, ...media],
            })),
          };
          for (let index = 0; index < 3; index++) {
            try {
              const { cost } = await gateway.call(request, {
                runId: 'prop',
                taskId: `t${index}`,
                role: 'worker',
              });
              expect(reserved.at(-1)).toBeGreaterThanOrEqual(cost.total);
            } catch (error) {
              expect((error as { code?: string }).code).toBe('BUDGET_EXCEEDED');
            }
          }
          expect(ledger.spent()).toBeLessThanOrEqual(cap);
          expect(fake!.billing.total() - before).toBe(ledger.spent());
        },
      ),
      { numRuns: 40 },
    );
  });
});
