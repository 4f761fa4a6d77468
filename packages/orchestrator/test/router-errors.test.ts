import { BudgetExceededError } from '@haiku-army/core';
import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createArmy, type Router } from '../src/index.js';
import { startScripted, subtask, workerByBrief } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const haiku = { model: 'claude-haiku-5-5', reason: 'test' };

describe('a router that throws', () => {
  it('accept throwing keeps the paid attempt: partial, with attempts, calls, cost and the error named', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Did it.' }) });
    const router: Router = {
      name: 'crashing-validator',
      pick: async () => haiku,
      accept: async () => {
        throw new Error('validator crashed');
      },
    };
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', workers: router });
    const result = await army.runPlan({ subtasks: [subtask('a', 'Do A.')] });
    const [a] = result.subtasks;
    expect(a!.status).toBe('partial');
    expect(a!.code).toBe('ROUTER_ERROR');
    expect(a!.reason).toBe("The router's accept threw: validator crashed");
    expect(a!.summary).toBe('Did it.');
    expect(a!.model).toBe('claude-haiku-5-5');
    expect(a!.attempts).toHaveLength(1);
    expect(a!.calls).toBe(1);
    const spent = army.ledger.spent({ runId: result.runId, taskId: 'a' });
    expect(spent).toBeGreaterThan(0);
    expect(a!.cost.total).toBe(spent);
  });

  it('pick throwing a run budget refusal ends the run budget_exceeded and starts nothing new', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Did it.' }) });
    const router: Router = {
      name: 'budget-router',
      pick: async (_subtask, context) => {
        if (context.attempts.length > 0)
          throw new BudgetExceededError({ scope: 'run', limit: 10, spent: 10, requested: 5 });
        return haiku;
      },
      accept: async () => ({ ok: false, reason: 'not good enough' }),
    };
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      workers: router,
      concurrency: 1,
    });
    const result = await army.runPlan({ subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.')] });
    expect(result.status).toBe('budget_exceeded');
    const [a, b] = result.subtasks;
    expect([a!.status, a!.code, a!.attempts.length, a!.calls]).toEqual([
      'partial',
      'BUDGET_EXCEEDED',
      1,
      1,
    ]);
    expect(a!.cost.total).toBeGreaterThan(0);
    expect([b!.status, b!.code, b!.calls]).toEqual(['skipped', 'BUDGET_EXCEEDED', 0]);
  });

  it('accept throwing after the run was cancelled ends the subtask cancelled, its cost kept', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Did it.' }) });
    const controller = new AbortController();
    const router: Router = {
      name: 'aborting-validator',
      pick: async () => haiku,
      accept: async () => {
        controller.abort(new Error('stop'));
        throw new Error('aborted while validating');
      },
    };
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', workers: router });
    const result = await army.runPlan(
      { subtasks: [subtask('a', 'Do A.')] },
      { signal: controller.signal },
    );
    expect(result.status).toBe('cancelled');
    const [a] = result.subtasks;
    expect([a!.status, a!.code, a!.calls]).toEqual(['cancelled', 'ABORTED', 1]);
    expect(a!.cost.total).toBeGreaterThan(0);
  });
});
