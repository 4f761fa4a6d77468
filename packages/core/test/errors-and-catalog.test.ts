import { describe, expect, it } from 'vitest';
import {
  ArmyError,
  BUILT_IN_MODELS,
  BudgetExceededError,
  defaultCatalog,
  ERROR_CODES,
  ERROR_KINDS,
  errorKind,
  formatUsd,
  getModel,
  ModelCatalog,
  registerModel,
  usd,
} from '../src/index.js';

describe('errors say whose fault they are', () => {
  it('has one kind for every code', () => {
    expect(Object.keys(ERROR_KINDS).sort()).toEqual(Object.values(ERROR_CODES).sort());
    expect(errorKind('UNKNOWN_MODEL')).toBe('user');
    expect(errorKind('API_UNAVAILABLE')).toBe('system');
    expect(errorKind('SOMETHING_NEWER')).toBe('system');
    expect(new ArmyError('INVALID_OPTIONS', 'bad').kind).toBe('user');
    expect(new BudgetExceededError({ scope: 'run', limit: 1, spent: 1, requested: 1 }).kind).toBe(
      'system',
    );
  });

  it('ArmyError.is recognises an error from another copy of the package by its marker', () => {
    const foreign = Object.assign(new Error('from a duplicate install'), {
      code: 'BUDGET_EXCEEDED',
      [Symbol.for('haiku-army.error')]: true,
    });
    expect(foreign instanceof ArmyError).toBe(false);
    expect(ArmyError.is(foreign)).toBe(true);
    expect(ArmyError.is(foreign, 'BUDGET_EXCEEDED')).toBe(true);
    expect(ArmyError.is(foreign, 'ABORTED')).toBe(false);
    expect(ArmyError.is(new Error('plain'))).toBe(false);
    expect(ArmyError.is({ code: 'ABORTED' })).toBe(false);
  });

  it('money helpers throw ArmyErrors with codes, not RangeErrors', () => {
    expect(() => usd(Number.NaN)).toThrow(ArmyError);
    expect(() => formatUsd(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});

describe('no process-global mutable catalog', () => {
  it('the built-in catalog and its data are immutable', () => {
    expect(defaultCatalog.frozen).toBe(true);
    expect(() => defaultCatalog.register({ id: 'claude-haiku-5-5', prices: { input: 1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE', message: expect.stringMatching(/with\(/) }),
    );
    expect(Object.isFrozen(BUILT_IN_MODELS)).toBe(true);
    expect(Object.isFrozen(BUILT_IN_MODELS[0]?.prices)).toBe(true);
  });

  it('with() and registerModel() return a new catalog and change nothing shared', () => {
    const before = getModel('claude-haiku-5-5').prices.input;
    const derived = defaultCatalog.with({ id: 'claude-haiku-5-5', prices: { input: 0.08 } });
    const registered = registerModel({
      id: 'claude-custom-1',
      tier: 'haiku',
      contextWindow: 1_000,
      maxOutputTokens: 100,
      minCacheableTokens: 10,
      prices: { input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 },
    });
    expect(derived).toBeInstanceOf(ModelCatalog);
    expect(derived.frozen).toBe(false);
    expect(derived.get('claude-haiku-5-5').prices.input).toBe(80);
    expect(registered.has('claude-custom-1')).toBe(true);
    expect(getModel('claude-haiku-5-5').prices.input).toBe(before);
    expect(defaultCatalog.has('claude-custom-1')).toBe(false);
  });
});
