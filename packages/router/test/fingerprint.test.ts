import { defaultCatalog, type ModelGateway } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import {
  budgetAware,
  cascade,
  classifier,
  complexityMap,
  LEARNED_MODEL,
  learned,
  type Router,
  rules,
  scoringRouter,
  statusValidator,
} from '../src/index.js';
import { HAIKU, OPUS, SONNET } from './support/harness.js';

// The orchestrator's result cache keys a subtask on its router's fingerprint:
// the same configuration must give the same string, and any change that can
// change a pick must give another one.
const gateway = { catalog: defaultCatalog } as unknown as ModelGateway;

function fingerprintOf(router: Router): string {
  expect(typeof router.fingerprint).toBe('string');
  return router.fingerprint!;
}

describe('router fingerprints', () => {
  it('complexityMap: stable for one map, different when a label maps to another model', () => {
    const base = fingerprintOf(complexityMap());
    expect(fingerprintOf(complexityMap())).toBe(base);
    expect(fingerprintOf(complexityMap({ models: { simple: SONNET } }))).not.toBe(base);
    // The name is a label, not what decides a pick.
    expect(fingerprintOf(complexityMap({ name: 'other' }))).toBe(base);
  });

  it('rules: changes with a rule, its pattern, its model and the default', () => {
    const make = (pattern: string, model: string, fallback: string) =>
      fingerprintOf(
        rules({
          rules: [
            { pattern, model },
            { keywords: ['proof'], model: OPUS },
          ],
          default: fallback,
        }),
      );
    const base = make('refactor', SONNET, HAIKU);
    expect(make('refactor', SONNET, HAIKU)).toBe(base);
    expect(make('rewrite', SONNET, HAIKU)).not.toBe(base);
    expect(make('refactor', OPUS, HAIKU)).not.toBe(base);
    expect(make('refactor', SONNET, SONNET)).not.toBe(base);
    const withRegExp = fingerprintOf(
      rules({ rules: [{ pattern: /x/g, model: OPUS }], default: HAIKU }),
    );
    const withOtherFlags = fingerprintOf(
      rules({ rules: [{ pattern: /x/i, model: OPUS }], default: HAIKU }),
    );
    expect(withRegExp).not.toBe(withOtherFlags);
  });

  it('cascade: keyed on its ladder with the default validators; none with your own validators', () => {
    const base = fingerprintOf(cascade([HAIKU, OPUS]));
    expect(fingerprintOf(cascade([HAIKU, OPUS]))).toBe(base);
    expect(fingerprintOf(cascade([HAIKU, SONNET, OPUS]))).not.toBe(base);
    expect(cascade([HAIKU, OPUS], { validate: statusValidator() }).fingerprint).toBeUndefined();
  });

  it('learned: changes with the threshold, the models and the weights', () => {
    const base = fingerprintOf(learned());
    expect(fingerprintOf(learned())).toBe(base);
    expect(fingerprintOf(learned({ threshold: 0.9 }))).not.toBe(base);
    expect(fingerprintOf(learned({ strongModel: SONNET }))).not.toBe(base);
    const retrained = {
      ...LEARNED_MODEL,
      training: { ...LEARNED_MODEL.training, sources: ['x.jsonl'] },
    };
    expect(fingerprintOf(learned({ model: retrained }))).not.toBe(base);
    // A scorer of your own has no fingerprint unless you give one.
    const own = { name: 'own', threshold: 0.5, weak: HAIKU, strong: OPUS, score: async () => 0 };
    expect(scoringRouter(own).fingerprint).toBeUndefined();
    expect(fingerprintOf(scoringRouter({ ...own, fingerprint: 'v1' }))).not.toBe(
      fingerprintOf(scoringRouter({ ...own, fingerprint: 'v2' })),
    );
  });

  it('classifier: changes with its model, its map and its instructions', () => {
    const base = fingerprintOf(classifier({ gateway }));
    expect(fingerprintOf(classifier({ gateway }))).toBe(base);
    expect(fingerprintOf(classifier({ gateway, model: SONNET }))).not.toBe(base);
    expect(fingerprintOf(classifier({ gateway, models: { complex: SONNET } }))).not.toBe(base);
    expect(fingerprintOf(classifier({ gateway, instructions: 'Label it.' }))).not.toBe(base);
  });

  it('budgetAware: wraps its policy’s fingerprint with the steps; none over a policy without one', () => {
    const steps = [{ below: 1_000_000 }];
    const base = fingerprintOf(budgetAware(complexityMap(), { steps }));
    expect(fingerprintOf(budgetAware(complexityMap(), { steps }))).toBe(base);
    expect(fingerprintOf(budgetAware(complexityMap(), { steps: [{ below: 5 }] }))).not.toBe(base);
    expect(
      fingerprintOf(budgetAware(complexityMap({ models: { simple: SONNET } }), { steps })),
    ).not.toBe(base);
    const own: Router = { name: 'own', pick: async () => ({ model: HAIKU, reason: 'always' }) };
    expect(budgetAware(own, { steps }).fingerprint).toBeUndefined();
  });

  it('budgetAware: a stepped-down pick is transient (not cached); one it left alone is not', async () => {
    const strong: Router = {
      name: 'strong',
      fingerprint: 'strong',
      pick: async () => ({ model: OPUS, reason: 'hard' }),
    };
    const router = budgetAware(strong, { steps: [{ below: 1_000_000 }] });
    const subtask = { id: 'a', brief: 'Do it.' };
    const plenty = await router.pick(subtask, {
      runId: 'r',
      attempts: [],
      remainingBudget: 5_000_000,
    });
    expect(plenty).toMatchObject({ model: OPUS });
    expect(plenty?.transient).toBeUndefined();
    const low = await router.pick(subtask, { runId: 'r', attempts: [], remainingBudget: 10 });
    expect(low?.model).not.toBe(OPUS);
    expect(low?.transient).toBe(true);
  });
});
