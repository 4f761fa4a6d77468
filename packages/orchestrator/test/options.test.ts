import { Budget, createGateway } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import { createArmy } from '../src/index.js';

const base = { baseURL: 'http://127.0.0.1:9', apiKey: 'test-key' };

describe('bad input gets a clear error with a code', () => {
  it.each([
    [{ concurrency: 0 }, 'INVALID_OPTIONS', /`concurrency` to be an integer >= 1, got 0/],
    [{ rounds: 0 }, 'INVALID_OPTIONS', /`rounds` to be an integer >= 1, got 0/],
    [{ maxSubtasks: 1.5 }, 'INVALID_OPTIONS', /`maxSubtasks`/],
    [
      { failurePolicy: 'sometimes' },
      'INVALID_OPTIONS',
      /`failurePolicy` to be 'continue' or 'fail-fast'/,
    ],
    [{ planner: 'claude-opus-9' }, 'UNKNOWN_MODEL', /claude-opus-9/],
    [{ workers: 'claude-haiku-9' }, 'UNKNOWN_MODEL', /claude-haiku-9/],
    [{ synthesizer: 'gpt-5' }, 'UNKNOWN_MODEL', /gpt-5/],
    [
      { rateLimitFallback: { 'claude-haiku-5-5': 'claude-haiku-0' } },
      'UNKNOWN_MODEL',
      /claude-haiku-0/,
    ],
    [{ workers: { pick: 1 } }, 'INVALID_OPTIONS', /`workers` to be a model id or a Router/],
    [{ budget: { run: -1 } }, 'INVALID_OPTIONS', /limits.run/],
  ])('createArmy(%j) throws %s', (options, code, message) => {
    expect(() => createArmy({ ...base, ...(options as object) })).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it('a budget beside a gateway that has its own is refused', () => {
    const gateway = createGateway({ ...base });
    expect(() => createArmy({ gateway, budget: { run: 1000 } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/budget/),
      }),
    );
    const budget = new Budget({ limits: { run: 1000 } });
    const own = createGateway({ ...base, budget });
    expect(createArmy({ gateway: own, budget }).gateway).toBe(own);
  });

  it('an empty job rejects with INVALID_OPTIONS before any call', async () => {
    const army = createArmy(base);
    await expect(army.run('  ')).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/`job`/),
    });
    await expect(army.plan('')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(army.ledger.entries()).toHaveLength(0);
  });

  it('a plan with an unknown dependency rejects with PLAN_INVALID naming it', async () => {
    const army = createArmy(base);
    const plan = {
      subtasks: [{ id: 'a', title: 'A', brief: { objective: 'Do A.' }, dependsOn: ['ghost'] }],
    };
    await expect(army.runPlan(plan)).rejects.toMatchObject({
      code: 'PLAN_INVALID',
      message: expect.stringMatching(/subtask "a" depends on unknown subtask "ghost"/),
      issues: [expect.objectContaining({ code: 'unknown_dependency', subtaskId: 'a' })],
    });
  });

  it('map refuses an empty list of items', async () => {
    const army = createArmy(base);
    await expect(army.map([], () => 'x')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
