import { describe, expect, it } from 'vitest';
import { ArmyError, getModel, listModels, ModelCatalog } from '../src/index.js';

describe('model catalog', () => {
  it('lists every current Claude model with an asOf date', () => {
    const catalog = new ModelCatalog();
    expect(catalog.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(catalog.ids()).toEqual([
      'claude-haiku-5-5',
      'claude-sonnet-5-5',
      'claude-opus-5-5',
      'claude-haiku-4-5',
      'claude-sonnet-4-6',
      'claude-sonnet-4-5',
      'claude-opus-4-6',
      'claude-opus-4-5',
    ]);
    expect(listModels().length).toBe(8);
  });

  it('resolves ids and dated aliases', () => {
    expect(getModel('claude-haiku-4-5-20251001').id).toBe('claude-haiku-4-5');
    expect(getModel('claude-sonnet-4-5-20250929').id).toBe('claude-sonnet-4-5');
    expect(getModel('claude-opus-4-5-20251101').id).toBe('claude-opus-4-5');
    expect(getModel('claude-haiku-5-5')).toMatchObject({ tier: 'haiku', minCacheableTokens: 512 });
    expect(getModel('claude-haiku-4-5').minCacheableTokens).toBe(4096);
    expect(getModel('claude-sonnet-4-6').minCacheableTokens).toBe(1024);
  });

  it('stores prices as whole nano-USD per token', () => {
    expect(getModel('claude-haiku-5-5').prices).toEqual({
      input: 100,
      output: 500,
      cacheWrite5m: 125,
      cacheWrite1h: 200,
      cacheRead: 10,
    });
    expect(getModel('claude-haiku-5-5').longContext).toEqual({
      thresholdTokens: 100_000,
      prices: { input: 500, output: 2500, cacheWrite5m: 625, cacheWrite1h: 1000, cacheRead: 50 },
    });
    expect(getModel('claude-opus-4-6').prices).toEqual({
      input: 5000,
      output: 25000,
      cacheWrite5m: 6250,
      cacheWrite1h: 10000,
      cacheRead: 500,
    });
  });

  it('throws UNKNOWN_MODEL listing the known ids', () => {
    let caught: unknown;
    try {
      getModel('claude-haiku-9');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ArmyError);
    const error = caught as ArmyError;
    expect(error.code).toBe('UNKNOWN_MODEL');
    expect(error.name).toBe('ArmyError');
    expect(error.message).toContain('"claude-haiku-9"');
    for (const id of new ModelCatalog().ids()) expect(error.message).toContain(id);
  });

  it('registers new models and overrides prices, keeping the rest', () => {
    const catalog = new ModelCatalog();
    const overridden = catalog.register({
      id: 'claude-haiku-4-5-20251001',
      prices: { input: 0.8 },
    });
    expect(overridden.id).toBe('claude-haiku-4-5');
    expect(overridden.prices).toEqual({
      input: 800,
      output: 5000,
      cacheWrite5m: 1250,
      cacheWrite1h: 2000,
      cacheRead: 100,
    });
    expect(catalog.get('claude-haiku-4-5-20251001').prices.input).toBe(800);
    expect(new ModelCatalog().get('claude-haiku-4-5').prices.input).toBe(1000);

    const added = catalog.register({
      id: 'my-finetune',
      tier: 'haiku',
      contextWindow: 100_000,
      maxOutputTokens: 8_000,
      minCacheableTokens: 1024,
      prices: { input: 0.25, output: 1.25, cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03 },
    });
    expect(added.prices.cacheRead).toBe(30);
    expect(catalog.ids()).toContain('my-finetune');
  });

  it('rejects a new model with missing fields, naming them', () => {
    const catalog = new ModelCatalog();
    expect(() => catalog.register({ id: 'x', prices: { input: 1 } })).toThrow(
      /tier, contextWindow, maxOutputTokens, minCacheableTokens, prices.output/,
    );
    expect(() => catalog.register({ id: 'claude-haiku-5-5', prices: { input: 0.0001 } })).toThrow(
      /prices.input/,
    );
    expect(() => catalog.register({ id: 'claude-haiku-5-5', minCacheableTokens: 0 })).toThrow(
      /minCacheableTokens/,
    );
  });
});
