import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget, BudgetExceededError, CostLedger, createEvents, usd } from '../src/index.js';

describe('Budget', () => {
  it('reserves, settles to the real cost and refuses over the cap', () => {
    const budget = new Budget({ limits: { run: 1_000 } });
    const first = budget.reserve({ runId: 'r', taskId: 't1', amount: 600 });
    expect(budget.status('run', 'r')).toEqual({
      limit: 1_000,
      spent: 0,
      reserved: 600,
      remaining: 400,
    });
    let caught: unknown;
    try {
      budget.reserve({ runId: 'r', taskId: 't2', amount: 500 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BudgetExceededError);
    expect(caught).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      scope: 'run',
      limit: 1_000,
      spent: 600,
      requested: 500,
    });
    first.settle(250);
    expect(budget.status('run', 'r')).toEqual({
      limit: 1_000,
      spent: 250,
      reserved: 0,
      remaining: 750,
    });
    budget.reserve({ runId: 'r', taskId: 't2', amount: 500 }).release();
    expect(budget.status('run', 'r')?.spent).toBe(250);
  });

  it('caps each task separately', () => {
    const budget = new Budget({ limits: { task: 100 } });
    budget.reserve({ runId: 'r', taskId: 'a', amount: 100 }).settle(100);
    expect(() => budget.reserve({ runId: 'r', taskId: 'a', amount: 1 })).toThrow(/task "a"/);
    expect(() => budget.reserve({ runId: 'r', taskId: 'b', amount: 100 })).not.toThrow();
  });

  it('emits warning and critical once each, and exceeded on refusal', () => {
    const events = createEvents();
    const seen: string[] = [];
    for (const name of ['budget:warning', 'budget:critical', 'budget:exceeded'] as const) {
      events.on(name, (event) => seen.push(`${name}@${event.spent}`));
    }
    const budget = new Budget({ limits: { run: 1_000 }, events });
    for (const amount of [500, 300, 100, 50, 40])
      budget.reserve({ runId: 'r', taskId: 't', amount }).settle(amount);
    expect(() => budget.reserve({ runId: 'r', taskId: 't', amount: 20 })).toThrow(
      BudgetExceededError,
    );
    expect(seen).toEqual(['budget:warning@800', 'budget:critical@950', 'budget:exceeded@990']);
  });

  it('counts earlier runs in the ledger toward day and month caps', async () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    const ledger = new CostLedger({ now: () => now - 3_600_000 });
    ledger.record({
      attribution: { runId: 'old', taskId: 't', role: 'worker' },
      model: 'claude-opus-5-5',
      usage: { input_tokens: 200_000 },
    });
    const budget = new Budget({ limits: { day: usd(1), month: usd(2) }, ledger, now: () => now });
    expect(budget.status('day', '2026-11-23')?.spent).toBe(usd(0.8));
    expect(() => budget.reserve({ runId: 'new', taskId: 't', amount: usd(0.3) })).toThrow(/day/);
    expect(() => budget.reserve({ runId: 'new', taskId: 't', amount: usd(0.2) })).not.toThrow();
    expect(() => new Budget({ limits: { day: 1 } })).toThrow(/ledger/);
  });

  it('validates limits, naming the option', () => {
    expect(() => new Budget({ limits: { run: -1 } })).toThrow(
      'Expected `limits.run` to be an integer number of nano-USD >= 0',
    );
    expect(() => new Budget({ limits: { run: 0.5 } })).toThrow(/limits.run/);
  });

  it('never exceeds a cap under 1,000 concurrent reservations (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20_000, max: 5_000_000 }),
        fc.array(
          fc.record({
            amount: fc.integer({ min: 0, max: 20_000 }),
            share: fc.double({ min: 0, max: 1, noNaN: true }),
            delay: fc.integer({ min: 0, max: 3 }),
            fail: fc.boolean(),
          }),
          {
            minLength: 1_000,
            maxLength: 1_000,
          },
        ),
        async (cap, calls) => {
          const budget = new Budget({ limits: { run: cap, task: cap } });
          let maxCommitted = 0;
          let accepted = 0;
          await Promise.all(
            calls.map(async (call, index) => {
              await new Promise((resolve) => setTimeout(resolve, call.delay));
              let reservation: ReturnType<Budget['reserve']>;
              try {
                reservation = budget.reserve({
                  runId: 'r',
                  taskId: `t${index % 7}`,
                  amount: call.amount,
                });
              } catch (error) {
                expect(error).toBeInstanceOf(BudgetExceededError);
                return;
              }
              accepted += 1;
              const status = budget.status('run', 'r');
              maxCommitted = Math.max(maxCommitted, (status?.spent ?? 0) + (status?.reserved ?? 0));
              await new Promise((resolve) => setTimeout(resolve, call.delay));
              if (call.fail) reservation.release();
              else reservation.settle(Math.floor(call.amount * call.share));
            }),
          );
          const final = budget.status('run', 'r');
          expect(maxCommitted).toBeLessThanOrEqual(cap);
          expect(final?.reserved).toBe(0);
          expect(final?.spent).toBeLessThanOrEqual(cap);
          expect(accepted).toBeGreaterThan(0);
        },
      ),
      { numRuns: 20 },
    );
  });
});
