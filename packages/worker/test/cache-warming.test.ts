import { reply } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import {
  CacheWarmer,
  cacheWarmerKey,
  DEFAULT_CACHE_WARMER_TTL_MS,
  ONE_HOUR_CACHE_TTL_MS,
  WorkerPool,
} from '../src/index.js';
import { briefOf, delay, HAIKU, type Harness, useHarness } from './support/harness.js';

const { start } = useHarness();

describe('cache warming', () => {
  const sharedPrefix = `Repository map:\n${'word '.repeat(600)}`;
  const writesAndReads = (harnessed: Harness) => {
    const entries = harnessed.fake.billing.entries;
    return {
      writes: entries.filter((entry) => entry.usage.cache_creation_input_tokens > 0).length,
      reads: entries.filter((entry) => entry.usage.cache_read_input_tokens > 0).length,
    };
  };
  const tasks = Array.from({ length: 20 }, (_, index) => ({
    id: `t${index}`,
    brief: `Summarise part ${index}.`,
  }));

  it('20 workers sharing a cacheable prefix: the cache is written once and read by the other 19', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('summary') } });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 20, sharedPrefix });
    const results = await pool.submitAll(tasks);
    expect(results.every((result) => result.status === 'done' && result.calls === 1)).toBe(true);
    expect(writesAndReads(harness)).toEqual({ writes: 1, reads: 19 });
    const written = harness.fake.billing.entries.find(
      (entry) => entry.usage.cache_creation_input_tokens > 0,
    )!;
    expect(written.usage.cache_creation_input_tokens).toBeGreaterThanOrEqual(512);
    for (const entry of harness.fake.billing.entries.filter((item) => item !== written))
      expect(entry.usage.cache_read_input_tokens).toBe(written.usage.cache_creation_input_tokens);
    const bodies = harness.fake.transcript.messages(HAIKU);
    expect(new Set(bodies.map((body) => JSON.stringify([body.tools, body.system]))).size).toBe(1);
  });

  it('without warming, 20 simultaneous first calls all write the cache', async () => {
    let arrived = 0;
    let allArrived!: () => void;
    const barrier = new Promise<void>((resolve) => {
      allArrived = resolve;
    });
    const harness = await start({
      models: {
        [HAIKU]: async () => {
          arrived += 1;
          if (arrived === 20) allArrived();
          await barrier;
          return reply.text('summary');
        },
      },
    });
    const pool = new WorkerPool({
      gateway: harness.gateway,
      concurrency: 20,
      sharedPrefix,
      warmCache: false,
    });
    await pool.submitAll(tasks);
    expect(writesAndReads(harness)).toEqual({ writes: 20, reads: 0 });
  });

  it('when the warming call fails, the next worker warms the cache instead', async () => {
    let first = true;
    const harness = await start({
      models: {
        [HAIKU]: () => {
          if (!first) return reply.text('summary');
          first = false;
          return reply.error({ status: 400, message: 'bad luck' });
        },
      },
    });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 20, sharedPrefix });
    const results = await pool.submitAll(tasks);
    expect(results.filter((result) => result.code === 'API_REQUEST_REJECTED')).toHaveLength(1);
    expect(writesAndReads(harness)).toEqual({ writes: 1, reads: 18 });
  });

  it('when the warming task is cancelled mid-call, the next worker warms the cache instead', async () => {
    let warming: string | undefined;
    const harness = await start({
      models: {
        [HAIKU]: (request) => {
          if (warming !== undefined) return reply.text('summary');
          warming = /part (\d+)/.exec(briefOf(request))![1];
          return new Promise<never>(() => {}); // held until cancelled
        },
      },
    });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 20, sharedPrefix });
    const all = pool.submitAll(tasks);
    while (warming === undefined) await delay(1);
    expect(pool.cancel(`t${warming}`, { reason: 'not needed' })).toBe(true);
    const results = await all;
    expect(results.filter((result) => result.code === 'ABORTED')).toEqual([
      expect.objectContaining({ taskId: `t${warming}`, calls: 0, turns: 1 }),
    ]);
    expect(results.filter((result) => result.status === 'done')).toHaveLength(19);
    expect(writesAndReads(harness)).toEqual({ writes: 1, reads: 18 });
  });

  it('tasks on different models warm one cache entry per model', async () => {
    const SONNET = 'claude-sonnet-5-5';
    const harness = await start({
      models: { [HAIKU]: () => reply.text('summary'), [SONNET]: () => reply.text('summary') },
    });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 20, sharedPrefix });
    const results = await pool.submitAll(
      tasks.map((task, index) => ({ ...task, model: index % 2 === 0 ? HAIKU : SONNET })),
    );
    expect(results.every((result) => result.status === 'done')).toBe(true);
    expect(writesAndReads(harness)).toEqual({ writes: 2, reads: 18 });
  });

  it('cancels tasks waiting for the cache to be warmed', async () => {
    let calls = 0;
    const harness = await start({
      models: {
        [HAIKU]: () => {
          calls += 1;
          return new Promise<never>(() => {}); // the warming call never answers
        },
      },
    });
    const pool = new WorkerPool({ gateway: harness.gateway, concurrency: 4, sharedPrefix: 'map' });
    const results = pool.submitAll(
      Array.from({ length: 4 }, (_, index) => ({ id: `t${index}`, brief: 'x' })),
    );
    while (calls === 0) await delay(1);
    expect(pool.stats).toMatchObject({ running: 4, queued: 0 });
    pool.cancelAll('stop');
    const settled = await results;
    expect(settled.map((result) => [result.code, result.calls])).toEqual(
      Array(4).fill(['ABORTED', 0]),
    );
    expect(calls).toBe(1);
    expect(harness.fake.billing.entries).toHaveLength(0);
  });

  it('pools sharing a cacheWarmers map warm each prefix once between them', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('summary') } });
    const cacheWarmers = new Map<string, CacheWarmer>();
    const pools = [0, 1].map(
      (index) =>
        new WorkerPool({
          gateway: harness.gateway,
          concurrency: 10,
          sharedPrefix,
          cacheWarmers,
          runId: `run-${index}`,
        }),
    );
    await Promise.all(
      pools.map((pool, index) => pool.submitAll(tasks.slice(index * 10, index * 10 + 10))),
    );
    expect(writesAndReads(harness)).toEqual({ writes: 1, reads: 19 });
    expect(cacheWarmers.size).toBe(1);
    expect([...cacheWarmers.values()][0]!.warm).toBe(true);
    const [body] = harness.fake.transcript.messages(HAIKU);
    expect([...cacheWarmers.keys()]).toEqual([
      cacheWarmerKey({ model: HAIKU, tools: body!.tools as unknown[], system: body!.system }),
    ]);
  });

  it('an injected map turns warming on without a sharedPrefix; warmCache: false still turns it off', async () => {
    const harness = await start({ models: { [HAIKU]: () => reply.text('summary') } });
    const cacheWarmers = new Map<string, CacheWarmer>();
    await new WorkerPool({ gateway: harness.gateway, cacheWarmers }).submit({
      id: 'a',
      brief: 'x',
    });
    expect(cacheWarmers.size).toBe(1);
    const off = new Map<string, CacheWarmer>();
    await new WorkerPool({ gateway: harness.gateway, cacheWarmers: off, warmCache: false }).submit({
      id: 'b',
      brief: 'x',
    });
    expect(off.size).toBe(0);
  });
});

describe('CacheWarmer', () => {
  it('lets the first caller through and holds the rest until it reports a response', async () => {
    const warmer = new CacheWarmer();
    const release = await warmer.acquire();
    const order: string[] = [];
    const second = warmer.acquire().then(() => order.push('second'));
    const third = warmer.acquire().then(() => order.push('third'));
    await delay(1);
    expect(order).toEqual([]);
    expect(warmer.waiting).toBe(2);
    expect(warmer.warm).toBe(false);
    release(true);
    await Promise.all([second, third]);
    expect(order).toEqual(['second', 'third']);
    expect(warmer.warm).toBe(true);
    release(false); // only the first report counts
    expect(warmer.warm).toBe(true);
  });

  it('hands the warming turn to one waiter when the first call gets no response', async () => {
    const warmer = new CacheWarmer();
    const release = await warmer.acquire();
    const waiters = [warmer.acquire(), warmer.acquire()];
    release(false);
    const [nextRelease] = await Promise.race(waiters.map((waiter) => waiter.then((r) => [r])));
    expect(warmer.warm).toBe(false);
    expect(warmer.waiting).toBe(1);
    nextRelease!(true);
    await Promise.all(waiters);
    expect(warmer.warm).toBe(true);
  });

  it('a cancelled waiter rejects with ABORTED and holds nothing; reset() makes a warm prefix cold', async () => {
    const warmer = new CacheWarmer();
    const release = await warmer.acquire();
    const controller = new AbortController();
    const waiting = warmer.acquire(controller.signal);
    controller.abort('stop');
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(warmer.waiting).toBe(0);
    await expect(warmer.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
    warmer.reset(); // no effect while warming
    release(true);
    expect(warmer.warm).toBe(true);
    warmer.reset();
    expect(warmer.warm).toBe(false);
    const again = await warmer.acquire();
    let passed = false;
    const held = warmer.acquire().then(() => {
      passed = true;
    });
    await delay(1);
    expect(passed).toBe(false);
    again(true);
    await held;
  });

  it('goes cold once the TTL has passed since the last response; a read restarts the TTL', async () => {
    let now = 1_000;
    const warmer = new CacheWarmer({ now: () => now });
    expect(warmer.ttlMs).toBe(DEFAULT_CACHE_WARMER_TTL_MS);
    (await warmer.acquire())(true);
    now += DEFAULT_CACHE_WARMER_TTL_MS - 1;
    expect(warmer.warm).toBe(true);
    // A caller let through while warm reads the entry: its response refreshes it.
    const read = await warmer.acquire();
    expect(warmer.warm).toBe(true);
    now += 100;
    read(true);
    now += DEFAULT_CACHE_WARMER_TTL_MS - 1;
    expect(warmer.warm).toBe(true);
    now += 1;
    expect(warmer.warm).toBe(false);
    // Cold again: the next caller warms it and holds the rest.
    const rewarm = await warmer.acquire();
    let passed = false;
    const held = warmer.acquire().then(() => {
      passed = true;
    });
    await delay(1);
    expect(passed).toBe(false);
    rewarm(true);
    await held;
    expect(warmer.warm).toBe(true);
    // A read that got no response does not refresh it.
    const failedRead = await warmer.acquire();
    now += DEFAULT_CACHE_WARMER_TTL_MS;
    failedRead(false);
    expect(warmer.warm).toBe(false);
    for (const [options, message] of [
      [{ ttlMs: 0 }, 'Expected `ttlMs` to be a positive number of milliseconds, got 0.'],
      [{ now: 5 }, 'Expected `now` to be a function returning milliseconds, got 5.'],
    ] as const)
      expect(() => new CacheWarmer(options as never)).toThrow(message);
  });

  it('a pool gives each warmer the TTL of its cacheTtl and its clock', async () => {
    let now = 0;
    const harness = await start({ models: { [HAIKU]: () => reply.text('summary') } });
    for (const [cacheTtl, ttl] of [
      ['5m', DEFAULT_CACHE_WARMER_TTL_MS],
      ['1h', ONE_HOUR_CACHE_TTL_MS],
    ] as const) {
      const cacheWarmers = new Map<string, CacheWarmer>();
      const pool = new WorkerPool({
        gateway: harness.gateway,
        cacheWarmers,
        cacheTtl,
        now: () => now,
      });
      await pool.submit({ id: `t-${cacheTtl}`, brief: 'x' });
      const [warmer] = [...cacheWarmers.values()];
      expect(warmer!.ttlMs).toBe(ttl);
      expect(warmer!.warm).toBe(true);
      now += ttl;
      expect(warmer!.warm).toBe(false);
    }
  });

  it('cacheWarmerKey: same model, tools and system give one key; any difference another', () => {
    const tools = [{ name: 'grep', input_schema: { type: 'object' } }];
    const system = [{ type: 'text', text: 'preamble' }];
    const key = cacheWarmerKey({ model: HAIKU, tools, system });
    expect(cacheWarmerKey({ model: HAIKU, tools: structuredClone(tools), system })).toBe(key);
    expect(key.startsWith(`${HAIKU}:`)).toBe(true);
    for (const other of [
      { model: 'claude-sonnet-5-5', tools, system },
      { model: HAIKU, tools: [], system },
      { model: HAIKU, tools, system: [{ type: 'text', text: 'other' }] },
    ])
      expect(cacheWarmerKey(other)).not.toBe(key);
  });
});
