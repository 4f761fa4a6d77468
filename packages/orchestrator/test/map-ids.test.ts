import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createArmy, PlanInvalidError, validatePlan } from '../src/index.js';
import { reply, startScripted, subtask } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const fileWorker = () =>
  startScripted({
    worker: (request) => {
      const file = /Summarize (\S+)\./.exec(JSON.stringify(request.messages[0]))![1]!;
      return reply.toolUse('submit_result', { status: 'done', summary: `Read ${file}.` });
    },
  });

async function planError(promise: PromiseLike<unknown>): Promise<PlanInvalidError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PlanInvalidError);
    return error as PlanInvalidError;
  }
  throw new Error('expected a PlanInvalidError');
}

describe('subtask ids', () => {
  it('army.map takes path-like ids', async () => {
    fake = await fileWorker();
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key' });
    const files = ['src/a.ts', 'packages/core/src/index.ts', '.github/ci.yml'];
    const result = await army.map(files, (file) => `Summarize ${file}.`, { id: (file) => file });
    expect(result.status).toBe('done');
    expect(result.subtasks.map((item) => [item.id, item.summary])).toEqual(
      files.map((file) => [file, `Read ${file}.`]),
    );
  });

  it('an invalid id is a PlanInvalidError naming the item, not a raw ZodError', async () => {
    const army = createArmy({ apiKey: 'test-key', baseURL: 'http://127.0.0.1:9' });
    const error = await planError(
      army.map(['a', 'b c', 'd'], (word) => `Summarize ${word}.`, { id: (word) => word }),
    );
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.message).toMatch(/items\[1\] \(id "b c"\)/);
    expect(error.issues[0]).toMatchObject({ code: 'schema', subtaskId: 'b c' });
    const long = await planError(
      army.map(['x'], (word) => `Summarize ${word}.`, { id: () => 'x'.repeat(201) }),
    );
    expect(long.message).toMatch(/items\[0\]/);
    const many = await planError(
      army.map(
        Array.from({ length: 30 }, (_, index) => index),
        (index) => `Summarize ${index}.`,
        { id: () => '/abs' },
      ),
    );
    expect(many.message).toMatch(/and 20 more items/);
    expect(() =>
      army.map(['a'], (word) => `Summarize ${word}.`, { id: 'name' as never }),
    ).not.toThrow();
    await expect(
      army.map(['a'], (word) => `Summarize ${word}.`, { id: 'name' as never }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/`id`/) });
  });

  it('the ids the run’s own calls use are reserved', async () => {
    const army = createArmy({ apiKey: 'test-key', baseURL: 'http://127.0.0.1:9' });
    const mapped = await planError(
      army.map(['a', 'b'], (word) => `Summarize ${word}.`, {
        id: (word) => (word === 'a' ? 'planner' : 'b'),
      }),
    );
    expect(mapped.message).toMatch(/"planner" is reserved/);
    const planned = await planError(army.runPlan({ subtasks: [subtask('synthesis', 'Do it.')] }));
    expect(planned.issues).toEqual([
      expect.objectContaining({ code: 'reserved_id', subtaskId: 'synthesis' }),
    ]);
    const { issues } = validatePlan(
      { subtasks: [subtask('planner', 'x'), subtask('ok', 'y')] },
      { maxSubtasks: 5 },
    );
    expect(issues.map((issue) => issue.code)).toEqual(['reserved_id']);
  });
});
