import { describe, expect, it } from 'vitest';
import { AbortError, Budget, BudgetExceededError, createEvents } from '../src/index.js';

const task = (taskId: string) => ({ runId: 'run-1', taskId });

describe('Budget.acquire: a cap that waits instead of refusing', () => {
  it('waits for calls in flight, first come first served, and refuses only what cannot fit alone', async () => {
    const budget = new Budget({ limits: { run: 1_000 } });
    const first = await budget.acquire({ ...task('a'), amount: 600 });
    const order: string[] = [];
    const second = budget.acquire({ ...task('b'), amount: 600 }).then((held) => {
      order.push('b');
      return held;
    });
    const third = budget.acquire({ ...task('c'), amount: 300 }).then((held) => {
      order.push('c');
      return held;
    });
    // A 1,001 request can never fit, even with nothing in flight: refused at once.
    await expect(budget.acquire({ ...task('d'), amount: 1_001 })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    await Promise.resolve();
    expect(order).toEqual([]); // c fits now, but b came first
    first.settle(100);
    const heldB = await second;
    const heldC = await third;
    expect(order).toEqual(['b', 'c']);
    expect(budget.status('run', 'run-1')).toMatchObject({ spent: 100, reserved: 900 });
    heldB.settle(600);
    heldC.settle(300);
    // 1,000 spent: a call of 1 now cannot fit even alone.
    const refusal = await budget.acquire({ ...task('e'), amount: 1 }).catch((error) => error);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect(refusal).toMatchObject({ scope: 'run', limit: 1_000, spent: 1_000, reserved: 0 });
  });

  it('a waiter is refused once what settled leaves too little, and the refusal carries the numbers', async () => {
    const events = createEvents();
    const exceeded: unknown[] = [];
    events.on('budget:exceeded', (event) => exceeded.push(event));
    const budget = new Budget({ limits: { run: 1_000 }, events });
    const first = await budget.acquire({ ...task('a'), amount: 800 });
    const waiting = budget.acquire({
      ...task('b'),
      amount: 500,
      breakdown: {
        inputTokens: 10,
        inputBound: 'counted',
        outputTokens: 49,
        outputLabel: 'limits.maxOutputTokens',
        minOutputTokens: 49,
        inputCost: 10,
        outputPrice: 10,
      },
    });
    first.settle(700);
    const error = await waiting.catch((caught) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.message).toMatch(/10 input tokens \(counted with count_tokens\)/);
    expect(error.message).toMatch(/lower limits\.maxOutputTokens/);
    expect(exceeded).toEqual([
      expect.objectContaining({
        scope: 'run',
        spent: 700,
        reserved: 0,
        requested: 500,
        breakdown: expect.objectContaining({ outputLabel: 'limits.maxOutputTokens' }),
      }),
    ]);
  });

  it('grants what is left when the full amount can never fit but the minimum can', async () => {
    const budget = new Budget({ limits: { run: 1_000 } });
    budget.charge({ ...task('a'), amount: 700 });
    const held = await budget.acquire({ ...task('b'), amount: 500, minimum: 200 });
    expect(held.amount).toBe(300);
    await expect(
      budget.acquire({ ...task('c'), amount: 500, minimum: 301 }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('stops waiting when the signal aborts, and the next waiter goes ahead', async () => {
    const budget = new Budget({ limits: { run: 1_000 } });
    const first = await budget.acquire({ ...task('a'), amount: 900 });
    const controller = new AbortController();
    const cancelled = budget.acquire({ ...task('b'), amount: 900 }, { signal: controller.signal });
    const next = budget.acquire({ ...task('c'), amount: 100 });
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(AbortError);
    const held = await next;
    expect(held.amount).toBe(100);
    first.release();
    held.release();
    expect(budget.status('run', 'run-1')).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('keeps first come first served per scope: another task waits only on the scopes it shares', async () => {
    const budget = new Budget({ limits: { task: 100 } });
    const a1 = await budget.acquire({ ...task('a'), amount: 100 });
    const a2 = budget.acquire({ ...task('a'), amount: 100 });
    const b1 = await budget.acquire({ ...task('b'), amount: 100 });
    expect(b1.amount).toBe(100);
    a1.release();
    expect((await a2).amount).toBe(100);
  });
});
