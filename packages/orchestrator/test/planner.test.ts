import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createArmy, planSchema } from '../src/index.js';
import { reply, sequence, startScripted, subtask } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const cyclic = {
  reasoning: 'three steps',
  subtasks: [
    subtask('a', 'Do A.', ['c']),
    subtask('b', 'Do B.', ['a']),
    subtask('c', 'Do C.', ['b']),
  ],
};
const fixed = {
  reasoning: 'three steps',
  subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.', ['a']), subtask('c', 'Do C.', ['b'])],
};

describe('planner', () => {
  it('sends the Plan JSON Schema as output_config and returns the validated plan', async () => {
    fake = await startScripted({ planner: () => reply.json(fixed) });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', maxSubtasks: 7 });
    const plan = await army.plan('do three things');
    expect(plan).toEqual(planSchema.parse(fixed));
    const [request] = fake.transcript.messages();
    expect(request!.output_config?.format?.type).toBe('json_schema');
    const schema = request!.output_config!.format!.schema as any;
    expect(Object.keys(schema.properties)).toEqual(['reasoning', 'subtasks']);
    expect(schema.properties.subtasks.items.properties.complexity.enum).toEqual([
      'simple',
      'moderate',
      'complex',
    ]);
    expect(request!.system).toMatch(/Never plan more than 7 subtasks/);
    expect(request!.system).toMatch(/self-contained/);
    expect(army.ledger.entries().map((entry) => [entry.role, entry.taskId])).toEqual([
      ['planner', 'planner'],
    ]);
  });

  it('repairs a plan with a cycle in one round, feeding the cycle back', async () => {
    fake = await startScripted({ planner: sequence(reply.json(cyclic), reply.json(fixed)) });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key' });
    const result = await army.run('do three things');
    expect(result.status).toBe('done');
    expect(result.plan.subtasks.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    const planner = fake.transcript.messages().filter((request) => request.output_config);
    expect(planner).toHaveLength(2);
    const repair = planner[1]!.messages.at(-1)!;
    expect(JSON.stringify(repair.content)).toContain('dependency cycle a -> c -> b -> a');
    expect(result.cost.tree.planner.calls).toBe(2);
  });

  it('rejects a plan still invalid after the repair with PLAN_INVALID naming the cycle', async () => {
    fake = await startScripted({ planner: () => reply.json(cyclic) });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key' });
    const error = await army.run('do three things').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'PLAN_INVALID', name: 'PlanInvalidError' });
    expect((error as Error).message).toContain('dependency cycle a -> c -> b -> a');
    expect((error as any).issues).toContainEqual(
      expect.objectContaining({ code: 'cycle', cycle: ['a', 'c', 'b', 'a'] }),
    );
    // Both planner calls were billed and stay in the ledger.
    expect(army.ledger.entries()).toHaveLength(2);
  });

  it('repairs a reply that is not JSON, and one over maxSubtasks', async () => {
    const many = { reasoning: '', subtasks: ['a', 'b', 'c'].map((id) => subtask(id, `Do ${id}.`)) };
    fake = await startScripted({
      planner: sequence(reply.text('Sure! Here is a plan.'), reply.json(many), reply.json(fixed)),
    });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', maxSubtasks: 2 });
    await expect(army.plan('x')).rejects.toMatchObject({
      code: 'PLAN_INVALID',
      issues: [expect.objectContaining({ code: 'too_many_subtasks' })],
    });
    const repair = fake.transcript.messages()[1]!.messages.at(-1)!;
    expect(JSON.stringify(repair.content)).toContain('not JSON');
  });
});
