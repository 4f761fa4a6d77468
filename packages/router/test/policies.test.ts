import { ArmyError, ModelCatalog, usd } from '@haiku-army/core';
import { reply } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import {
  budgetAware,
  complexityMap,
  LEARNED_MODEL,
  learned,
  type Router,
  routeAttempts,
  rules,
} from '../src/index.js';
import { HAIKU, OPUS, SONNET, useHarness, workerAttempt } from './support/harness.js';

const context = { runId: 'r', attempts: [] };
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return ArmyError.is(error)
      ? { code: error.code, message: error.message }
      : { code: 'not an ArmyError', message: String(error) };
  }
  return { code: 'no error', message: '' };
};

describe('complexityMap', () => {
  const start = useHarness();

  it('maps simple/moderate/complex to Haiku/Sonnet/Opus 5.5, overridable, moderate when unlabelled', async () => {
    const router = complexityMap();
    expect((await router.pick({ id: 'a', brief: 'x', complexity: 'simple' }, context))?.model).toBe(
      HAIKU,
    );
    expect(
      (await router.pick({ id: 'a', brief: 'x', complexity: 'moderate' }, context))?.model,
    ).toBe(SONNET);
    expect(
      (await router.pick({ id: 'a', brief: 'x', complexity: 'complex' }, context))?.model,
    ).toBe(OPUS);
    expect(await router.pick({ id: 'a', brief: 'x' }, context)).toEqual({
      model: SONNET,
      reason: `no complexity label, so "moderate" -> ${SONNET}`,
    });
    const cheap = complexityMap({ models: { complex: SONNET } });
    expect((await cheap.pick({ id: 'a', brief: 'x', complexity: 'complex' }, context))?.model).toBe(
      SONNET,
    );
  });

  it('rejects an unknown model (checked against the catalog) and an unknown label', () => {
    expect(code(() => complexityMap({ models: { simple: 'claude-haiku-9' } }))).toMatchObject({
      code: 'UNKNOWN_MODEL',
      message: expect.stringContaining('`models.simple`'),
    });
    const catalog = new ModelCatalog({ models: [] });
    expect(code(() => complexityMap({ catalog })).code).toBe('UNKNOWN_MODEL');
    expect(code(() => complexityMap({ models: { hard: OPUS } as never })).code).toBe(
      'INVALID_OPTIONS',
    );
  });

  it('routes a real worker call to the picked model', async () => {
    const { gateway, ledger } = await start({
      models: { [OPUS]: () => reply.text('{"ok":true}') },
    });
    const subtask = { id: 'hard', brief: 'Design it.', complexity: 'complex' as const };
    const history = await routeAttempts(
      complexityMap(),
      subtask,
      workerAttempt(gateway, 'run-m', subtask),
      {
        runId: 'run-m',
      },
    );
    expect(history.accepted?.model).toBe(OPUS);
    expect(ledger.entries({ runId: 'run-m' }).map((entry) => entry.model)).toEqual([OPUS]);
  });
});

describe('rules', () => {
  const router = rules({
    rules: [
      { name: 'proofs', keywords: ['prove', 'derive'], model: OPUS },
      { name: 'sql', pattern: '\\bselect\\b.+\\bfrom\\b', model: SONNET },
      { name: 'tagged', tags: ['hard'], model: OPUS },
      { name: 'also sql', keywords: ['select'], model: HAIKU },
    ],
    default: HAIKU,
  });

  it('first match wins, with the default when none matches', async () => {
    expect(await router.pick({ id: 'a', brief: 'Please PROVE it' }, context)).toEqual({
      model: OPUS,
      reason: `rule "proofs" matched -> ${OPUS}`,
    });
    expect((await router.pick({ id: 'a', brief: 'select a from b' }, context))?.model).toBe(SONNET);
    expect((await router.pick({ id: 'a', brief: 'list', tags: ['hard'] }, context))?.model).toBe(
      OPUS,
    );
    expect((await router.pick({ id: 'a', brief: 'proven select' }, context))?.model).toBe(HAIKU);
    expect(await router.pick({ id: 'a', brief: 'summarise' }, context)).toEqual({
      model: HAIKU,
      reason: `no rule matched -> default ${HAIKU}`,
    });
  });

  it('an invalid regex is an error at construction naming the rule', () => {
    const error = code(() =>
      rules({ rules: [{ name: 'broken', pattern: '(unclosed', model: OPUS }], default: HAIKU }),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('rules[0] ("broken")');
    expect(
      code(() => rules({ rules: [{ keywords: ['x'], model: 'gpt-4' }], default: HAIKU })).code,
    ).toBe('UNKNOWN_MODEL');
    expect(code(() => rules({ rules: [], default: 'nope' })).code).toBe('UNKNOWN_MODEL');
    expect(
      code(() => rules({ rules: [{ name: 'empty', model: OPUS }], default: HAIKU })).message,
    ).toContain('no condition');
  });
});

describe('budgetAware', () => {
  const fixed = (model: string): Router => ({
    name: 'fixed',
    pick: async () => ({ model, reason: 'fixed' }),
  });

  it('steps down a tier per threshold the remaining budget is below', async () => {
    const router = budgetAware(fixed(OPUS), { steps: [{ below: usd(1) }, { below: usd(0.1) }] });
    const at = async (remainingBudget: number | undefined) =>
      (await router.pick({ id: 'a', brief: 'x' }, { runId: 'r', attempts: [], remainingBudget }))
        ?.model;
    expect(await at(undefined)).toBe(OPUS);
    expect(await at(usd(5))).toBe(OPUS);
    expect(await at(usd(0.5))).toBe(SONNET);
    expect(await at(usd(0.05))).toBe(HAIKU);
    expect(
      (
        await router.pick(
          { id: 'a', brief: 'x' },
          { runId: 'r', attempts: [], remainingBudget: usd(0.5) },
        )
      )?.reason,
    ).toBe(`fixed; stepped down 1 tier(s) to ${SONNET}: ${usd(0.5)} nano-USD left`);
    const floor = budgetAware(fixed(HAIKU), { steps: [{ below: usd(1), tiers: 2 }] });
    expect(
      (await floor.pick({ id: 'a', brief: 'x' }, { runId: 'r', attempts: [], remainingBudget: 0 }))
        ?.model,
    ).toBe(HAIKU);
  });

  it('checks its steps', () => {
    expect(code(() => budgetAware(fixed(OPUS), { steps: [] })).code).toBe('INVALID_OPTIONS');
    expect(code(() => budgetAware(fixed(OPUS), { steps: [{ below: -1 }] })).message).toContain(
      '`steps[0].below`',
    );
    expect(
      code(() => budgetAware(fixed(OPUS), { steps: [{ below: 1 }], ladder: [HAIKU, 'x'] })).code,
    ).toBe('UNKNOWN_MODEL');
  });
});

describe('learned', () => {
  it('scores in [0, 1] deterministically and picks strong at or above the threshold', async () => {
    const router = learned();
    expect(router.threshold).toBe(LEARNED_MODEL.threshold);
    const hard =
      'A train leaves at 3:15 pm going 47 mph; a second leaves 40 minutes later at 62 mph. When and where does it catch up, and what percent of the trip is left?';
    const score = await router.score({ id: 'a', brief: hard });
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(await learned().score({ id: 'b', brief: hard })).toBe(score);
    const low = learned({ threshold: 0 });
    const high = learned({ threshold: 1 });
    expect((await low.pick({ id: 'a', brief: hard }, context))?.model).toBe(OPUS);
    expect((await high.pick({ id: 'a', brief: hard }, context))?.model).toBe(HAIKU);
  });

  it('rejects a threshold outside [0, 1] and an unknown model', () => {
    expect(code(() => learned({ threshold: 1.5 }))).toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'Expected `threshold` to be a number in [0, 1], got 1.5.',
    });
    expect(code(() => learned({ threshold: -0.1 })).code).toBe('INVALID_OPTIONS');
    expect(code(() => learned({ strongModel: 'claude-opus-9' })).code).toBe('UNKNOWN_MODEL');
  });
});

describe('every policy through the fake API', () => {
  const start = useHarness();

  it('sends the worker call to the model each policy picks', async () => {
    const answer = () => reply.text('{"ok":true}');
    const { gateway, ledger } = await start({
      models: { [HAIKU]: answer, [SONNET]: answer, [OPUS]: answer },
    });
    const subtask = {
      id: 'prove',
      brief: 'Prove that the sum of two even numbers is even.',
      complexity: 'simple' as const,
    };
    const cases: [Router, number | undefined, string][] = [
      [complexityMap(), undefined, HAIKU],
      [rules({ rules: [{ keywords: ['prove'], model: OPUS }], default: HAIKU }), undefined, OPUS],
      [
        budgetAware(rules({ rules: [{ keywords: ['prove'], model: OPUS }], default: HAIKU }), {
          steps: [{ below: usd(1) }],
        }),
        usd(0.5),
        SONNET,
      ],
      [learned({ threshold: 0 }), undefined, OPUS],
      [learned({ threshold: 1 }), undefined, HAIKU],
    ];
    for (const [index, [router, remaining, expected]] of cases.entries()) {
      const runId = `run-${index}`;
      const history = await routeAttempts(router, subtask, workerAttempt(gateway, runId, subtask), {
        runId,
        remainingBudget: () => remaining,
      });
      expect(history.accepted?.model).toBe(expected);
      expect(ledger.entries({ runId }).map((entry) => [entry.model, entry.role])).toEqual([
        [expected, 'worker'],
      ]);
    }
  });
});
