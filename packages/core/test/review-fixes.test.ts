import { describe, expect, it, vi } from 'vitest';
import {
  Budget,
  BudgetExceededError,
  CostLedger,
  createEvents,
  JsonlLedgerStore,
  LedgerStoreError,
  ModelCatalog,
  RateLimiter,
} from '../src/index.js';

const usage = { input_tokens: 1_000, output_tokens: 100 };

describe('ledger with an asynchronous store', () => {
  it('reports a failed write from flush(), never as an unhandled rejection', async () => {
    const ledger = new CostLedger({
      store: { append: () => Promise.reject(new Error('disk full')), load: () => [] },
    });
    const entry = ledger.record({
      attribution: { runId: 'r', taskId: 't', role: 'worker' },
      model: 'claude-haiku-5-5',
      usage,
    });
    const flushed = ledger.flush();
    await expect(flushed).rejects.toBeInstanceOf(LedgerStoreError);
    await expect(ledger.flush()).resolves.toBeUndefined();
    expect(ledger.entries()).toEqual([entry]);
  });

  it('prices from a ModelInfo the caller resolved, so two catalogs cannot disagree', () => {
    const catalog = new ModelCatalog();
    const custom = catalog.register({
      id: 'my-model',
      tier: 'haiku',
      contextWindow: 1_000,
      maxOutputTokens: 100,
      minCacheableTokens: 1_024,
      prices: { input: 1, output: 2, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 0.1 },
    });
    const ledger = new CostLedger();
    const entry = ledger.record({
      attribution: { runId: 'r', taskId: 't', role: 'worker' },
      model: custom,
      usage,
    });
    expect(entry.model).toBe('my-model');
    expect(entry.cost.total).toBe(1_000 * 1_000 + 100 * 2_000);
  });

  it('says it is not loaded until load() ran on a durable store', async () => {
    expect(new CostLedger().loaded).toBe(true);
    const durable = new CostLedger({
      store: new JsonlLedgerStore({ path: `/tmp/army-loaded-${process.pid}-${Date.now()}.jsonl` }),
    });
    expect(durable.loaded).toBe(false);
    expect(() => new Budget({ limits: { day: 1_000 }, ledger: durable })).toThrow(
      /`await ledger.load\(\)`/,
    );
    await durable.load();
    expect(() => new Budget({ limits: { day: 1_000 }, ledger: durable })).not.toThrow();
  });
});

describe('budget scopes', () => {
  it('caps a task per run: the same task id in another run starts fresh', () => {
    const budget = new Budget({ limits: { task: 100 } });
    budget.reserve({ runId: 'a', taskId: 't', amount: 100 }).settle(100);
    expect(() => budget.reserve({ runId: 'a', taskId: 't', amount: 1 })).toThrow(
      BudgetExceededError,
    );
    expect(() => budget.reserve({ runId: 'b', taskId: 't', amount: 100 })).not.toThrow();
    expect(budget.status('task', 'a/t')).toMatchObject({ spent: 100, remaining: 0 });
  });

  it('forgets an ended run, keeping what is still reserved', () => {
    const budget = new Budget({ limits: { run: 1_000, task: 500 } });
    budget.reserve({ runId: 'a', taskId: 't', amount: 400 }).settle(400);
    const held = budget.reserve({ runId: 'b', taskId: 't', amount: 50 });
    budget.endRun('a');
    budget.endRun('b');
    expect(budget.status('run', 'a')).toMatchObject({ spent: 0, reserved: 0 });
    expect(budget.status('run', 'b')).toMatchObject({ reserved: 50 });
    held.release();
  });

  it('validates thresholds as shares of the cap', () => {
    expect(() => new Budget({ limits: { run: 1 }, warningAt: 80 })).toThrow(
      'Expected `warningAt` to be a share of the cap in (0, 1]',
    );
    expect(() => new Budget({ limits: { run: 1 }, warningAt: 0.9, criticalAt: 0.5 })).toThrow(
      /criticalAt/,
    );
  });

  it('takes an emitter later, e.g. the gateway’s', () => {
    const events = createEvents();
    const warnings: unknown[] = [];
    events.on('budget:warning', (event) => warnings.push(event));
    const budget = new Budget({ limits: { run: 100 } });
    budget.attachEvents(events);
    budget.reserve({ runId: 'r', taskId: 't', amount: 90 }).settle(90);
    expect(warnings).toHaveLength(1);
  });
});

describe('rate limiter limits it can never meet', () => {
  it('refuses a request larger than a whole bucket instead of drawing 429s forever', async () => {
    const limiter = new RateLimiter({ limits: { 'claude-haiku-5-5': { itpm: 1_000, otpm: 500 } } });
    await expect(
      limiter.acquire({ model: 'claude-haiku-5-5', inputTokens: 10, outputTokens: 600 }),
    ).rejects.toMatchObject({
      code: 'RATE_LIMIT_UNSATISFIABLE',
      message: expect.stringContaining('lower max_tokens'),
    });
    await expect(
      limiter.acquire({ model: 'claude-haiku-5-5', inputTokens: 1_001, outputTokens: 1 }),
    ).rejects.toMatchObject({
      code: 'RATE_LIMIT_UNSATISFIABLE',
    });
    const ticket = await limiter.acquire({
      model: 'claude-haiku-5-5',
      inputTokens: 1_000,
      outputTokens: 500,
    });
    ticket.release();
  });

  it('applies limits keyed by an alias to the canonical model', () => {
    const limiter = new RateLimiter({ limits: { 'claude-haiku-4-5-20251001': { rpm: 7 } } });
    expect(limiter.stats('claude-haiku-4-5')).toMatchObject({
      model: 'claude-haiku-4-5',
      limits: { rpm: 7 },
    });
  });
});

describe('catalog advice', () => {
  it('points a private catalog at catalog.register()', () => {
    expect(() => new ModelCatalog().get('nope')).toThrow(/add it with `catalog.register\(\)`/);
  });
});

describe('async listeners', () => {
  it('reports a rejected async listener instead of leaving it unhandled', async () => {
    const onListenerError = vi.fn();
    const events = createEvents({ onListenerError });
    events.on('task:start', async () => {
      throw new Error('async bug');
    });
    events.emit('task:start', { runId: 'r', taskId: 't' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(onListenerError).toHaveBeenCalledWith(new Error('async bug'), 'task:start');
  });
});
