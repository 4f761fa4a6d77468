import type { TaskEvent } from '@haiku-army/core';
import { reply, toolExchanges } from '@haiku-army/testing';
import { PriorityQueue, type QueueAddOptions } from 'p-queue';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineTool, WorkerPool } from '../src/index.js';
import { briefOf, HAIKU, useHarness } from './support/harness.js';

const { start } = useHarness();

type Run = () => Promise<unknown>;

/** A first-in-first-out queue that ignores priorities and records what it was given. */
function fifoQueue() {
  const enqueued: { id: string | undefined; priority: number | undefined }[] = [];
  class FifoQueue {
    readonly #items: { run: Run; id: string | undefined }[] = [];
    enqueue(run: Run, options: Partial<QueueAddOptions> = {}): void {
      enqueued.push({ id: options.id, priority: options.priority });
      this.#items.push({ run, id: options.id });
    }
    dequeue(): Run | undefined {
      return this.#items.shift()?.run;
    }
    remove(id: string): void {
      const index = this.#items.findIndex((item) => item.id === id);
      if (index !== -1) this.#items.splice(index, 1);
    }
    filter(): Run[] {
      return this.#items.map((item) => item.run);
    }
    setPriority(): void {}
    get size(): number {
      return this.#items.length;
    }
  }
  return { FifoQueue, enqueued };
}

/** A tool that holds its task until released, so the others stay queued. */
function blockerKit() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding!: () => void;
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const hold = defineTool({
    name: 'hold',
    description: 'Holds until released.',
    input: z.object({}),
    run: async () => {
      holding();
      await released;
      return 'released';
    },
  });
  const responder = (request: Parameters<typeof briefOf>[0]) =>
    briefOf(request).includes('hold') && toolExchanges(request).length === 0
      ? reply.toolUse('hold', {})
      : reply.text('ok');
  return { hold, responder, release, held };
}

describe('WorkerPool queueClass', () => {
  it('orders waiting tasks with the injected queue class, which sees each task id and priority', async () => {
    const kit = blockerKit();
    const harness = await start({ models: { [HAIKU]: kit.responder } });
    const { FifoQueue, enqueued } = fifoQueue();
    const pool = new WorkerPool({
      gateway: harness.gateway,
      concurrency: 1,
      tools: [kit.hold],
      queueClass: FifoQueue,
    });
    const starts: string[] = [];
    harness.events.on('task:start', (event: TaskEvent) => starts.push(event.taskId));
    const all = [pool.submit({ id: 'blocker', brief: 'hold' })];
    await kit.held;
    all.push(pool.submit({ id: 'low', brief: 'x' }));
    all.push(pool.submit({ id: 'high', brief: 'x', priority: 5 }));
    all.push(pool.submit({ id: 'middle', brief: 'x' }, { priority: 2 }));
    expect(pool.stats).toMatchObject({ queued: 3, running: 1 });
    kit.release();
    await Promise.all(all);
    // The default PriorityQueue would start high, middle, low (see pool.test.ts).
    expect(starts).toEqual(['blocker', 'low', 'high', 'middle']);
    // The queue id is the task's run and id: `${runId}\0${taskId}`.
    const key = (id: string) => `${pool.runId}\0${id}`;
    expect(enqueued).toEqual([
      { id: key('blocker'), priority: 0 },
      { id: key('low'), priority: 0 },
      { id: key('high'), priority: 5 },
      { id: key('middle'), priority: 2 },
    ]);
  });

  it('a task cancelled while queued leaves an injected queue through its remove(id)', async () => {
    const kit = blockerKit();
    const harness = await start({ models: { [HAIKU]: kit.responder } });
    const { FifoQueue } = fifoQueue();
    let live: InstanceType<typeof FifoQueue> | undefined;
    class Watched extends FifoQueue {
      constructor() {
        super();
        live = this;
      }
    }
    const pool = new WorkerPool({
      gateway: harness.gateway,
      concurrency: 1,
      tools: [kit.hold],
      queueClass: Watched,
    });
    const blocker = pool.submit({ id: 'blocker', brief: 'hold' });
    await kit.held;
    const queued = pool.submit({ id: 'queued', brief: 'x' });
    expect(live?.size).toBe(1);
    pool.cancel('queued', { reason: 'not needed' });
    expect(await queued).toMatchObject({ code: 'ABORTED', calls: 0 });
    expect(live?.size).toBe(0);
    kit.release();
    expect(await blocker).toMatchObject({ status: 'done' });
  });

  it('a subclass of p-queue’s PriorityQueue keeps its ordering', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    const seen: string[] = [];
    class Recording extends PriorityQueue {
      override enqueue(run: Run, options?: Partial<QueueAddOptions>): void {
        seen.push(options?.id ?? '?');
        super.enqueue(run, options);
      }
    }
    const pool = new WorkerPool({ gateway: harness.gateway, queueClass: Recording });
    const results = await pool.submitAll([
      { id: 'a', brief: 'x' },
      { id: 'b', brief: 'x' },
    ]);
    expect(results.map((result) => result.status)).toEqual(['done', 'done']);
    expect(seen).toEqual([`${pool.runId}\0a`, `${pool.runId}\0b`]);
  });

  it('refuses a queueClass that cannot be a p-queue queue, with a coded error', async () => {
    const { gateway } = await start({});
    class NoDequeue {
      enqueue() {}
      filter() {
        return [];
      }
      setPriority() {}
      get size() {
        return 0;
      }
    }
    class NoSize {
      enqueue() {}
      dequeue() {}
      filter() {
        return [];
      }
      setPriority() {}
    }
    class Throws extends PriorityQueue {
      constructor() {
        super();
        throw new Error('nope');
      }
    }
    const cases: [unknown, string][] = [
      [42, 'Expected `queueClass` to be a class whose instances have'],
      [NoDequeue, 'its prototype lacks dequeue.'],
      [NoSize, 'its instances lack size.'],
      [Throws, 'but `new queueClass()` threw: nope'],
    ];
    for (const [queueClass, message] of cases)
      expect(() => new WorkerPool({ gateway, queueClass: queueClass as never })).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTIONS',
          message: expect.stringContaining(message),
        }),
      );
  });

  it('checks queueClass without constructing an extra instance: p-queue makes the only one', async () => {
    const { gateway } = await start({});
    let constructed = 0;
    class Counted extends PriorityQueue {
      constructor() {
        super();
        constructed += 1;
      }
    }
    new WorkerPool({ gateway, queueClass: Counted });
    expect(constructed).toBe(1);
    class Lacking {
      constructor() {
        constructed += 1;
      }
    }
    expect(() => new WorkerPool({ gateway, queueClass: Lacking as never })).toThrow(
      'its prototype lacks enqueue, dequeue, filter, setPriority.',
    );
    expect(constructed).toBe(1);
  });

  it('a queue class whose enqueue throws rejects that submission with a coded error; the pool carries on', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    class Picky extends PriorityQueue {
      override enqueue(run: Run, options?: Partial<QueueAddOptions>): void {
        if (options?.id?.endsWith('\0bad')) throw new RangeError('no room for bad');
        super.enqueue(run, options);
      }
    }
    const pool = new WorkerPool({ gateway: harness.gateway, queueClass: Picky });
    const error = await pool.submit({ id: 'bad', brief: 'x' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'ArmyError',
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('The pool could not run task "bad": its queue failed'),
    });
    expect((error as Error).cause).toBeInstanceOf(RangeError);
    expect(pool.stats).toMatchObject({ queued: 0, running: 0 });
    expect(await pool.submit({ id: 'good', brief: 'x' })).toMatchObject({ status: 'done' });
    expect(await pool.submit({ id: 'bad2', brief: 'x' })).toMatchObject({ status: 'done' });
  });
});

describe('WorkerPool taskEvents', () => {
  const names = ['task:queued', 'task:start', 'task:end'] as const;

  for (const taskEvents of [true, false, undefined]) {
    it(`taskEvents: ${taskEvents} ${taskEvents === false ? 'emits no' : 'emits the'} task:* events`, async () => {
      const harness = await start({ models: { [HAIKU]: () => reply.text('ok') } });
      const seen: string[] = [];
      for (const name of names)
        harness.events.on(name, (event: TaskEvent) => seen.push(`${name} ${event.taskId}`));
      let callEnds = 0;
      harness.events.on('call:end', () => {
        callEnds += 1;
      });
      const pool = new WorkerPool({
        gateway: harness.gateway,
        concurrency: 1,
        ...(taskEvents !== undefined ? { taskEvents } : {}),
      });
      const cancelled = pool.submit({ id: 'b', brief: 'x' }, { signal: AbortSignal.abort() });
      const results = await Promise.all([pool.submit({ id: 'a', brief: 'x' }), cancelled]);
      expect(results.map((result) => result.code ?? result.status)).toEqual(['done', 'ABORTED']);
      expect(callEnds).toBe(1); // the gateway's own events are not the pool's to silence
      const of = (taskId: string) => seen.filter((line) => line.endsWith(` ${taskId}`));
      if (taskEvents === false) expect(seen).toEqual([]);
      else {
        expect(of('a')).toEqual(['task:queued a', 'task:start a', 'task:end a']);
        expect(of('b')).toEqual(['task:queued b', 'task:end b']);
        expect(seen).toHaveLength(5);
      }
    });
  }
});
