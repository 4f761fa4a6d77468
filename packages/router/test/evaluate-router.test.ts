import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../src/cli/paths.js';
import {
  averagePerformanceGapRecovered,
  callPerformanceThreshold,
  cascade,
  crossValidateScores,
  evaluateRouter,
  foldOf,
  loadDataset,
  parseDataset,
  predicateValidator,
  priceDataset,
  type Router,
  scoreCurve,
  scoringRouter,
  trainRouterModel,
} from '../src/index.js';
import { HAIKU, OPUS } from './support/harness.js';

const always = (model: string): Router => ({
  name: `always ${model}`,
  pick: async () => ({ model, reason: '' }),
});

describe('evaluateRouter', () => {
  it('reproduces always-weak, always-strong and oracle quality on the shared files exactly', async () => {
    const expected = { mmlu: ['0.686', '0.806', '0.860'], gsm8k: ['0.660', '0.860', '0.936'] };
    for (const [name, figures] of Object.entries(expected)) {
      const dataset = await loadDataset(path.join(defaultDataDir(), `${name}.jsonl`));
      const report = await evaluateRouter(always(HAIKU), dataset);
      expect(
        [report.alwaysWeak, report.alwaysStrong, report.oracle].map((row) =>
          row.quality.toFixed(3),
        ),
      ).toEqual(figures);
      // The policy that always picks the weak model is the always-weak row, and saves what it costs.
      expect(report.result).toEqual({ ...report.alwaysWeak, policy: `always ${HAIKU}` });
      expect(report.alwaysStrong.costSaved).toBe(0);
      expect(report.alwaysWeak.costSaved).toBeCloseTo(
        1 - report.alwaysWeak.cost / report.alwaysStrong.cost,
        12,
      );
      // Opus 5.5 costs 40 times Haiku 5.5 per token; MMLU records no responses, so the
      // same estimated tokens cost exactly 40 times as much.
      if (name === 'mmlu') expect(report.alwaysStrong.cost).toBe(40 * report.alwaysWeak.cost);
    }
  });

  it('computes the curve, APGR and CPT by hand on a small set', async () => {
    // Four prompts; routing the first two to strong fixes one, breaks none.
    const text = [
      { id: 'a', prompt: 'aaaa', weak: false, strong: true },
      { id: 'b', prompt: 'bbbb', weak: true, strong: true },
      { id: 'c', prompt: 'cccc', weak: false, strong: true },
      { id: 'd', prompt: 'dddd', weak: true, strong: false },
    ]
      .map((row) => JSON.stringify(row))
      .join('\n');
    const dataset = parseDataset(text, 'tiny');
    const scores: Record<string, number> = { a: 0.9, b: 0.7, c: 0.6, d: 0.1 };
    const policy = scoringRouter({
      name: 'fixed',
      threshold: 0.65,
      weak: HAIKU,
      strong: OPUS,
      score: (subtask) => scores[subtask.id]!,
    });
    const report = await evaluateRouter(policy, dataset);
    expect(report.curve!.map((point) => [point.strongShare, point.quality])).toEqual([
      [0, 0.5],
      [0.25, 0.75],
      [0.5, 0.75],
      [0.75, 1],
      [1, 0.75],
    ]);
    // Trapezoids: 0.15625 + 0.1875 + 0.21875 + 0.21875 = 0.78125; (0.78125 - 0.5) / (0.75 - 0.5).
    expect(report.apgr).toBeCloseTo(1.125, 12);
    expect(report.cpt50).toBe(0.25);
    expect(report.cpt80).toBe(0.25);
    expect(report.result).toMatchObject({ strongShare: 0.5, quality: 0.75, qualityRetained: 1 });
    expect(report.oracle.quality).toBe(1);
    const matched =
      (report.result.cost - report.alwaysWeak.cost) /
      (report.alwaysStrong.cost - report.alwaysWeak.cost);
    expect(report.random.quality).toBeCloseTo(0.5 + matched * 0.25, 12);
    expect(report.scores).toEqual([0.9, 0.7, 0.6, 0.1]);
  });

  it('replays a cascade on the recorded responses, paying for every attempt', async () => {
    const rows = [
      {
        id: 'a',
        prompt: 'pp',
        weak: false,
        strong: true,
        weakResponse: 'cut off',
        strongResponse: '#### 4',
      },
      {
        id: 'b',
        prompt: 'pp',
        weak: true,
        strong: true,
        weakResponse: '#### 2',
        strongResponse: '#### 2',
      },
      {
        id: 'c',
        prompt: 'pp',
        weak: false,
        strong: false,
        weakResponse: '#### 9',
        strongResponse: '#### 8',
      },
    ];
    const dataset = parseDataset(rows.map((item) => JSON.stringify(item)).join('\n'), 'replay');
    const router = cascade([HAIKU, OPUS], {
      validate: predicateValidator(
        ({ attempt }) => attempt.summary.startsWith('####') || 'no final answer',
      ),
    });
    const report = await evaluateRouter(router, dataset);
    const prices = priceDataset(dataset);
    expect(report.result).toMatchObject({ strongShare: 1 / 3, quality: 2 / 3 });
    // Prompt a paid for both attempts; b and c only for the weak one.
    expect(report.result.cost).toBe(
      prices.weakCost[0]! + prices.strongCost[0]! + prices.weakCost[1]! + prices.weakCost[2]!,
    );
  });

  it('treats tied scores as one threshold', () => {
    const points = scoreCurve([0.5, 0.5], {
      weak: [false, true],
      strong: [true, true],
      weakCost: [1, 1],
      strongCost: [2, 2],
    });
    expect(points.map((point) => point.strongShare)).toEqual([0, 1]);
    expect(averagePerformanceGapRecovered(points, 0.5, 1)).toBeCloseTo(0.5, 12);
    expect(callPerformanceThreshold(points, 0.5, 0.5, 1)).toBe(1);
  });

  it('names the line of a data file with a missing or bad field', () => {
    const good = JSON.stringify({ id: 'x', prompt: 'p', weak: true, strong: false });
    expect(() =>
      parseDataset(
        `${good}\n${JSON.stringify({ id: 'y', prompt: 'p', weak: true })}`,
        'd',
        'file.jsonl',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: 'file.jsonl:2: missing field "strong" (a boolean).',
      }),
    );
    expect(() => parseDataset('{"id": 1}', 'd', 'f')).toThrow(/f:1: field "id" must be a string/);
    expect(() => parseDataset('not json', 'd', 'f')).toThrow(/f:1: not valid JSON/);
  });
});

describe('learned model training', () => {
  const rows = Array.from({ length: 60 }, (_, index) => ({
    id: `row-${index}`,
    prompt:
      index % 2 === 0
        ? `How many apples ${index} and ${index * 7} percent?`
        : `Name the capital of country ${index}.`,
    weak: index % 2 === 1,
    strong: true,
  }));

  it('is deterministic and learns which prompts the weak model fails', () => {
    const first = trainRouterModel(rows, { iterations: 30 });
    const second = trainRouterModel(rows, { iterations: 30 });
    expect(second).toEqual(first);
    const scores = crossValidateScores(rows, { iterations: 30 });
    const hard = rows.filter((row) => !row.weak).map((row) => scores.get(row.id)!);
    const easy = rows.filter((row) => row.weak).map((row) => scores.get(row.id)!);
    expect(Math.min(...hard)).toBeGreaterThan(Math.max(...easy));
  });

  it('fixes folds by id hash', () => {
    expect(foldOf('mmlu-abac1f9dfa4f')).toBe(foldOf('mmlu-abac1f9dfa4f'));
    const counts = [0, 0, 0, 0, 0];
    for (const row of rows) counts[foldOf(row.id)]! += 1;
    expect(counts.every((count) => count > 0)).toBe(true);
  });
});
