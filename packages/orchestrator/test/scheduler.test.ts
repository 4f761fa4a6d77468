import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createArmy, type ReadyQueue, type Router } from '../src/index.js';
import { reply, startScripted, subtask, workerByBrief } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const refuse = () => reply.text('', { stopReason: 'refusal' });

describe('DAG scheduler', () => {
  it('a dependent receives its dependency’s summary and data, never its transcript, and starts after it', async () => {
    fake = await startScripted({
      worker: workerByBrief({
        'Find the config': () =>
          reply.toolUse('submit_result', {
            status: 'done',
            summary: 'FOUND-SUMMARY: the config lives in conf/app.toml.',
            data: { path: 'conf/app.toml' },
          }),
        'Explain the config': 'Explained.',
      }),
    });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key' });
    const result = await army.runPlan(
      {
        subtasks: [
          subtask('explain', 'Explain the config.', ['find']),
          subtask('find', 'Find the config.'),
        ],
      },
      { job: 'explain the config' },
    );
    expect(result.status).toBe('done');
    const requests = fake.transcript.messages('claude-haiku-5-5');
    const explain = requests.find((request) =>
      JSON.stringify(request).includes('Explain the config'),
    )!;
    const brief = JSON.stringify(explain.messages[0]);
    expect(brief).toContain('FOUND-SUMMARY: the config lives in conf/app.toml.');
    expect(brief).toContain('conf/app.toml');
    expect(brief).not.toContain('submit_result'); // the dependency's tool turns stay in its transcript
    const [find, second] = ['find', 'explain'].map(
      (id) => result.timeline.find((call) => call.taskId === id)!,
    );
    expect(second!.start).toBeGreaterThanOrEqual(find!.end);
  });

  it('continue: dependents of a failed subtask are skipped naming it, the rest run', async () => {
    fake = await startScripted({
      worker: workerByBrief({ Break: refuse, Fine: 'All fine.', After: 'After.' }),
    });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', concurrency: 1 });
    const result = await army.runPlan({
      subtasks: [
        subtask('bad', 'Break.'),
        subtask('dependent', 'After bad.', ['bad']),
        subtask('indirect', 'After dependent.', ['dependent']),
        subtask('good', 'Fine.'),
      ],
    });
    expect(result.status).toBe('partial');
    const status = Object.fromEntries(result.subtasks.map((s) => [s.id, [s.status, s.code]]));
    expect(status).toEqual({
      bad: ['failed', 'REFUSED'],
      dependent: ['skipped', 'DEPENDENCY_FAILED'],
      indirect: ['skipped', 'DEPENDENCY_FAILED'],
      good: ['done', undefined],
    });
    expect(result.subtasks[1]!.reason).toBe('it depends on "bad", which ended failed.');
    expect(result.subtasks[2]!.reason).toBe('it depends on "dependent", which ended skipped.');
    expect(result.answer).toBeDefined();
  });

  it('fail-fast: the first failure stops the run and nothing else starts', async () => {
    fake = await startScripted({ worker: workerByBrief({ Break: refuse, Fine: 'All fine.' }) });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      concurrency: 1,
      failurePolicy: 'fail-fast',
    });
    const result = await army.runPlan({
      subtasks: [
        subtask('bad', 'Break.'),
        subtask('good', 'Fine.'),
        subtask('later', 'Fine later.'),
      ],
    });
    expect(result.status).toBe('failed');
    expect(result.subtasks.map((s) => [s.id, s.status, s.code])).toEqual([
      ['bad', 'failed', 'REFUSED'],
      ['good', 'skipped', 'FAIL_FAST'],
      ['later', 'skipped', 'FAIL_FAST'],
    ]);
    expect(result.answer).toBeUndefined();
    expect(result.cost.tree.synthesis.calls).toBe(0);
    expect(army.ledger.entries({ runId: result.runId, role: 'worker' })).toHaveLength(1);
  });

  it('cancellation stops queued work, aborts running calls and returns what finished', async () => {
    fake = await startScripted(
      { worker: workerByBrief({ Step: 'Step done.' }) },
      { latency: { firstByte: 0, models: { 'claude-haiku-5-5': { firstByte: 150 } } } },
    );
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', concurrency: 1 });
    const controller = new AbortController();
    army.events.on('task:end', (event) => {
      if (event.taskId === 'one') controller.abort(new Error('stop'));
    });
    const result = await army.runPlan(
      {
        subtasks: [
          subtask('one', 'Step 1.'),
          subtask('two', 'Step 2.'),
          subtask('three', 'Step 3.'),
        ],
      },
      { signal: controller.signal },
    );
    expect(result.status).toBe('cancelled');
    expect(result.subtasks.map((s) => [s.id, s.status])).toEqual([
      ['one', 'done'],
      ['two', 'cancelled'],
      ['three', 'cancelled'],
    ]);
    expect(result.subtasks[0]!.summary).toBe('Step done.');
    expect(result.answer).toBeUndefined();
  });

  it('takes its ready queue through the ReadyQueue interface', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const log: string[] = [];
    const queue = (): ReadyQueue => {
      const items: string[] = [];
      return {
        push: async (id) => {
          log.push(`push ${id}`);
          items.push(id);
        },
        shift: async () => items.shift(),
        drain: () => items.splice(0),
      };
    };
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      readyQueue: queue,
      concurrency: 1,
    });
    const result = await army.runPlan({
      subtasks: [subtask('b', 'Do B.', ['a']), subtask('a', 'Do A.')],
    });
    expect(result.status).toBe('done');
    expect(log).toEqual(['push a', 'push b']);
  });

  it('an asynchronous ReadyQueue loses no dependent pushed while a shift is pending', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const queue = (): ReadyQueue => {
      const items: string[] = [];
      return {
        push: (id) => {
          items.push(id);
        },
        // Answers from what was waiting when asked, ~100 ms later (a remote queue).
        shift: async () => {
          const item = items.shift();
          await new Promise((resolve) => setTimeout(resolve, 100));
          return item;
        },
        drain: () => items.splice(0),
      };
    };
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', readyQueue: queue });
    const result = await army.runPlan({
      subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.', ['a'])],
    });
    expect(result.subtasks.map((s) => [s.id, s.status])).toEqual([
      ['a', 'done'],
      ['b', 'done'],
    ]);
    expect(result.status).toBe('done');
  });

  it('a router that picks an unknown model fails that subtask with the code, not the run', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const router: Router = {
      name: 'sometimes-wrong',
      pick: async (subtask, context) =>
        context.attempts.length > 0
          ? null
          : { model: subtask.id === 'bad' ? 'claude-haiku-9' : 'claude-haiku-5-5', reason: 'test' },
    };
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', workers: router });
    const result = await army.runPlan({
      subtasks: [subtask('bad', 'Do bad.'), subtask('good', 'Do good.')],
    });
    expect(result.status).toBe('partial');
    expect(result.subtasks.map((s) => [s.id, s.status, s.code])).toEqual([
      ['bad', 'failed', 'UNKNOWN_MODEL'],
      ['good', 'done', undefined],
    ]);
    expect(result.subtasks[0]!.reason).toMatch(/claude-haiku-9/);
  });
});
