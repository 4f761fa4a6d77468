import { createGateway, type LedgerEntry } from '@haiku-army/core';
import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createArmy, type Router, type RunRecorder } from '../src/index.js';
import { reply, sequence, startScripted, subtask, workerByBrief } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('rounds', () => {
  it('the planner sees round 1’s summaries and adds subtasks for round 2', async () => {
    fake = await startScripted({
      planner: sequence(
        reply.json({
          reasoning: 'survey first',
          subtasks: [subtask('survey', 'Survey the modules.')],
        }),
        reply.json({
          done: false,
          reasoning: 'dig into one',
          subtasks: [subtask('dig', 'Dig into the auth module.', ['survey'])],
        }),
      ),
      worker: workerByBrief({
        Survey: 'SURVEY-SUMMARY: auth looks odd.',
        Dig: 'Auth retries twice.',
      }),
    });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', rounds: 2 });
    const result = await army.run('review the modules');
    expect(result.status).toBe('done');
    expect(result.rounds).toBe(2);
    expect(result.subtasks.map((s) => [s.id, s.round, s.status])).toEqual([
      ['survey', 1, 'done'],
      ['dig', 2, 'done'],
    ]);
    const planner = fake.transcript.messages().filter((request) => request.output_config);
    expect(planner).toHaveLength(2);
    const schema = planner[1]!.output_config!.format!.schema as any;
    expect(Object.keys(schema.properties)).toContain('done');
    const followUp = JSON.stringify(planner[1]!.messages);
    expect(followUp).toContain('round: 2 of 2');
    expect(followUp).toContain('SURVEY-SUMMARY: auth looks odd.');
    expect(result.cost.tree.planner.calls).toBe(2);
  });

  it('stops early when the planner declares the job answered (the simulated planner does)', async () => {
    fake = await startScripted({ worker: workerByBrief({ 'role: worker': 'Nothing found.' }) });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', rounds: 3 });
    const result = await army.run('find "zzz"');
    expect(result.rounds).toBe(1);
    expect(result.cost.tree.planner.calls).toBe(2);
  });
});

describe('events and the recorder', () => {
  it('iterating a run yields its events in order; the recorder sees plan, results and every ledger entry', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const recorded: string[] = [];
    const entries: LedgerEntry[] = [];
    const recorder: RunRecorder = {
      runStarted: (record) => void recorded.push(`start ${record.job}`),
      planAdopted: (record) =>
        void recorded.push(`plan ${record.plan.subtasks.map((s) => s.id).join(',')}`),
      ledgerEntry: (entry) => void entries.push(entry),
      subtaskFinished: async ({ result }) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        recorded.push(`finished ${result.id} ${result.status}`);
      },
      runEnded: (result) => void recorded.push(`end ${result.status}`),
    };
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', recorder, concurrency: 1 });
    const handle = army.runPlan(
      { subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.', ['a'])] },
      { job: 'do both' },
    );
    const types: string[] = [];
    for await (const event of handle)
      types.push(event.type === 'task:end' ? `task:end ${event.taskId}` : event.type);
    const result = await handle;
    expect(types[0]).toBe('run:start');
    expect(types.at(-1)).toBe('run:end');
    expect(
      types.filter((type) => !type.startsWith('call:') && !type.startsWith('budget:')),
    ).toEqual([
      'run:start',
      'plan:ready',
      'task:queued',
      'task:start',
      'task:end a',
      'task:queued',
      'task:start',
      'task:end b',
      'run:end',
    ]);
    expect(types.filter((type) => type === 'call:end')).toHaveLength(3); // a, b, synthesis
    expect(recorded).toEqual([
      'start do both',
      'plan a,b',
      'finished a done',
      'finished b done',
      'end done',
    ]);
    expect(entries.map((entry) => entry.id)).toEqual(
      army.ledger.entries({ runId: result.runId }).map((entry) => entry.id),
    );
  });
});

describe('a router that makes its own calls', () => {
  it('its calls land in the cost tree’s router node, on the timeline and in the recorder', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const gateway = createGateway({ baseURL: fake.url, apiKey: 'test-key' });
    const router: Router = {
      name: 'classifying',
      pick: async (subtask, context) => {
        if (context.attempts.length > 0) return null;
        await gateway.call(
          {
            model: 'claude-haiku-5-5',
            max_tokens: 20,
            messages: [{ role: 'user', content: `Classify: ${subtask.brief}` }],
          },
          { runId: context.runId, taskId: subtask.id, role: 'router' },
        );
        return { model: 'claude-haiku-5-5', reason: 'classified simple' };
      },
    };
    const entries: LedgerEntry[] = [];
    const army = createArmy({
      gateway,
      workers: router,
      recorder: { ledgerEntry: (entry) => void entries.push(entry) },
    });
    const result = await army.runPlan(
      { subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.')] },
      { job: 'two things' },
    );
    expect(result.status).toBe('done');
    expect(result.cost.tree.router.calls).toBe(2);
    expect(result.timeline.filter((call) => call.role === 'router')).toHaveLength(2);
    expect(entries.map((entry) => entry.id).sort()).toEqual(
      army.ledger
        .entries({ runId: result.runId })
        .map((entry) => entry.id)
        .sort(),
    );
    expect(result.subtasks.map((s) => s.attempts[0]!.routeReason)).toEqual([
      'classified simple',
      'classified simple',
    ]);
  });
});

describe('a recorder that cannot write', () => {
  it('ends the run failed with its error; nothing is left running', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      concurrency: 1,
      recorder: {
        subtaskFinished: () => {
          throw new Error('disk full');
        },
      },
    });
    const result = await army.runPlan({ subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.')] });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('disk full');
    expect(army.ledger.entries({ runId: result.runId, taskId: 'b' })).toHaveLength(0);
  });
});

describe('a synthesizer call the API rejects', () => {
  it('leaves the subtasks’ results standing: partial, with the error and no answer', async () => {
    fake = await startScripted({
      worker: workerByBrief({ Do: 'Done.' }),
      synthesizer: () => reply.error({ status: 400, message: 'bad synthesis request' }),
    });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key' });
    const result = await army.runPlan({ subtasks: [subtask('a', 'Do A.')] });
    expect(result.status).toBe('partial');
    expect(result.error).toMatchObject({ code: 'API_REQUEST_REJECTED' });
    expect(result.answer).toBeUndefined();
    expect(result.subtasks[0]!.status).toBe('done');
  });
});
