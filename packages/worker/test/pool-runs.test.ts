import type { TaskEndEvent, TaskEvent } from '@haiku-army/core';
import { reply, toolExchanges } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createWorker, defineTool, WorkerPool } from '../src/index.js';
import { HAIKU, lookup, useHarness } from './support/harness.js';

const { start } = useHarness();

/** Records the run id each tool call saw, by task. */
function runIdProbe() {
  const seen: Record<string, string> = {};
  const tool = defineTool({
    name: 'probe',
    description: 'Records its context.',
    input: z.object({}),
    run: (_input, context) => {
      seen[context.taskId] = context.runId;
      return 'ok';
    },
  });
  return { tool, seen };
}

/** Calls `probe` once, then answers: two billed calls per task. */
const probeThenAnswer = (request: Parameters<typeof toolExchanges>[0]) =>
  toolExchanges(request).length === 0 ? reply.toolUse('probe', {}) : reply.text('done');

describe('WorkerPool run ids', () => {
  it('one pool, two runs: every ledger entry, tool context, transcript and event is attributed to its task’s run', async () => {
    const probe = runIdProbe();
    const harness = await start({ models: { [HAIKU]: probeThenAnswer } });
    const { gateway, ledger, events } = harness;
    const pool = new WorkerPool({ gateway, concurrency: 3, tools: [probe.tool], runId: 'default' });
    const queued: TaskEvent[] = [];
    const ends: TaskEndEvent[] = [];
    events.on('task:queued', (event) => queued.push(event));
    events.on('task:end', (event) => ends.push(event));

    const [runA, runB] = await Promise.all([
      pool.submitAll(
        [
          { id: 'a1', brief: 'x' },
          { id: 'a2', brief: 'x', runId: 'ignored-by-submission' },
        ],
        { runId: 'run-a' },
      ),
      pool.submitAll([
        { id: 'b1', brief: 'x', runId: 'run-b' },
        { id: 'b2', brief: 'x', runId: 'run-b' },
        { id: 'p1', brief: 'x' },
      ]),
    ]);

    expect([...runA!, ...runB!].every((result) => result.status === 'done')).toBe(true);
    const tasksOf = (runId: string) =>
      [...new Set(ledger.entries({ runId }).map((entry) => entry.taskId))].sort();
    expect(tasksOf('run-a')).toEqual(['a1', 'a2']);
    expect(tasksOf('run-b')).toEqual(['b1', 'b2']);
    expect(tasksOf('default')).toEqual(['p1']);
    expect(ledger.entries({ runId: 'ignored-by-submission' })).toHaveLength(0);
    expect(ledger.entries({ runId: 'run-a' })).toHaveLength(4);
    expect(ledger.entries({ runId: 'run-b' })).toHaveLength(4);
    expect(ledger.spent({ runId: 'run-a' }) + ledger.spent({ runId: 'run-b' })).toBe(
      ledger.spent() - ledger.spent({ runId: 'default' }),
    );
    expect(ledger.spent({ runId: 'run-a' })).toBe(
      runA!.reduce((sum, result) => sum + result.cost.total, 0),
    );
    expect(probe.seen).toEqual({
      a1: 'run-a',
      a2: 'run-a',
      b1: 'run-b',
      b2: 'run-b',
      p1: 'default',
    });
    const transcript = await pool.transcripts.get(runB![0]!.transcriptId);
    expect(transcript?.runId).toBe('run-b');
    const runOf = (list: TaskEvent[]) =>
      Object.fromEntries(list.map((event) => [event.taskId, event.runId]));
    expect(runOf(queued)).toEqual(probe.seen);
    expect(runOf(ends)).toEqual(probe.seen);
    expect(pool.runId).toBe('default');
  });

  it('two runs sharing a pool may each have a pending task of the same id', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 1, runId: 'default' });
    const ends: TaskEndEvent[] = [];
    harness.events.on('task:end', (event) => ends.push(event));
    const first = pool.submit({ id: 't1', brief: 'x' }, { runId: 'run-a' });
    const second = pool.submit({ id: 't1', brief: 'x' }, { runId: 'run-b' });
    const results = await Promise.all([first, second]);
    expect(results.map((result) => result.status)).toEqual(['done', 'done']);
    expect(harness.ledger.entries().map((entry) => [entry.runId, entry.taskId])).toEqual([
      ['run-a', 't1'],
      ['run-b', 't1'],
    ]);
    expect(ends.map((event) => [event.runId, event.taskId])).toEqual([
      ['run-a', 't1'],
      ['run-b', 't1'],
    ]);
    // Within one run an id is still pending only once.
    const again = pool.submit({ id: 't1', brief: 'x' }, { runId: 'run-a' });
    await expect(pool.submit({ id: 't1', brief: 'x' }, { runId: 'run-a' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('Task id "t1" of run "run-a" is already queued or running'),
    });
    await expect(
      pool.submitAll([
        { id: 'd', brief: 'x', runId: 'r' },
        { id: 'd', brief: 'x', runId: 'r' },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await again;
  });

  it('cancel(taskId, { runId }) cancels only that run’s task; without runId, every run’s', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 1, runId: 'default' });
    const blocker = pool.submit({ id: 'blocker', brief: 'x' });
    const a = pool.submit({ id: 't1', brief: 'x' }, { runId: 'run-a' });
    const b = pool.submit({ id: 't1', brief: 'x' }, { runId: 'run-b' });
    const c = pool.submit({ id: 't2', brief: 'x' }, { runId: 'run-a' });
    const d = pool.submit({ id: 't2', brief: 'x' }, { runId: 'run-b' });
    expect(pool.cancel('t1', { runId: 'run-c' })).toBe(false);
    expect(pool.cancel('t1', { runId: 'run-b', reason: 'not needed' })).toBe(true);
    expect(pool.cancel('t2')).toBe(true);
    const [, ra, rb, rc, rd] = await Promise.all([blocker, a, b, c, d]);
    expect(ra!.status).toBe('done');
    expect([rb!.code, rc!.code, rd!.code]).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(harness.ledger.entries().map((entry) => [entry.runId, entry.taskId])).toEqual([
      ['default', 'blocker'],
      ['run-a', 't1'],
    ]);
    expect(() => pool.cancel('t1', { runId: '' })).toThrow(/options\.runId/);
  });

  it('refuses a bad run id, naming where it came from, and queues nothing', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    const pool = new WorkerPool({ gateway: harness.gateway });
    await expect(pool.submit({ id: 'a', brief: 'x', runId: '' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'Expected `task.runId` to be a non-empty string, got "".',
    });
    await expect(
      pool.submitAll([{ id: 'a', brief: 'x' }], { runId: 42 as unknown as string }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'Expected `options.runId` to be a non-empty string, got 42.',
    });
    await pool.onIdle();
    expect(pool.stats).toMatchObject({ queued: 0, running: 0, done: 0 });
    expect(harness.fake.transcript.messages()).toHaveLength(0);
  });

  it('a standalone worker attributes a task to its own runId, else to the worker’s', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    const worker = createWorker({ gateway: harness.gateway, runId: 'worker-run' });
    await worker.run({ id: 'own', brief: 'x', runId: 'task-run' });
    await worker.run({ id: 'default', brief: 'x' });
    expect(harness.ledger.entries().map((entry) => [entry.taskId, entry.runId])).toEqual([
      ['own', 'task-run'],
      ['default', 'worker-run'],
    ]);
  });
});

describe('WorkerPool.firstCall', () => {
  it('builds the request and attribution of the first call a run of the task makes', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('done') } });
    const sent: { request: unknown; attribution: unknown }[] = [];
    // Records each call, then makes it.
    const gateway = new Proxy(harness.gateway, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'call' && key !== 'stream')
          return typeof value === 'function' ? value.bind(target) : value;
        return (request: unknown, attribution: unknown, options: unknown) => {
          sent.push({ request, attribution });
          return (value as (...args: unknown[]) => unknown).call(
            target,
            request,
            attribution,
            options,
          );
        };
      },
    });
    const output = z.object({ label: z.string() });
    for (const [limits, tags] of [
      [{ maxOutputTokens: 256 }, undefined],
      [{ maxTurns: 1 }, ['triage']],
    ] as const) {
      const pool = new WorkerPool({
        gateway,
        runId: 'run-1',
        tools: [lookup],
        sharedPrefix: 'Shared context for every worker.',
        warmCache: false,
        limits,
      });
      const task = {
        id: 'item-1',
        brief: 'Label the ticket T1.',
        attempt: 1,
        output,
        ...(tags ? { tags: [...tags] } : {}),
      };
      const first = pool.firstCall(task);
      sent.length = 0;
      await pool.submit(task);
      expect(first).toBeDefined();
      expect(first!.request).toEqual(sent[0]!.request);
      expect(first!.attribution).toEqual(sent[0]!.attribution);
    }
  });

  it('is undefined when the first call is not sure to be made as built, and refuses a bad task', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('done') } });
    const capped = new WorkerPool({ gateway: harness.gateway, limits: { maxCost: 1_000_000 } });
    expect(capped.firstCall({ id: 'a', brief: 'Do it.' })).toBeUndefined();
    const warming = new WorkerPool({ gateway: harness.gateway, warmCache: true });
    expect(warming.firstCall({ id: 'a', brief: 'Do it.' })).toBeUndefined();
    const pool = new WorkerPool({ gateway: harness.gateway });
    expect(() => pool.firstCall({ id: '', brief: 'Do it.' })).toThrow(/task\.id/);
    expect(harness.fake.transcript.entries).toHaveLength(0);
  });
});
