import { defaultCatalog, estimateTextTokens, type ModelCatalog } from '@haiku-army/core';
import {
  DEFAULT_EVAL_OUTPUT_TOKENS,
  DEFAULT_STRONG_MODEL,
  DEFAULT_WEAK_MODEL,
} from '../constants.js';
import { resolveModel } from '../internal/models.js';
import { isScoringRouter, type Router, type RouterAttempt } from '../router.js';
import {
  averagePerformanceGapRecovered,
  type CurveInput,
  type CurvePoint,
  callPerformanceThreshold,
  scoreCurve,
} from './curve.js';
import type { RouterDataset } from './dataset.js';

/** Most attempts replayed per prompt for a policy with `accept`. */
const REPLAY_MAX_ATTEMPTS = 5;

/** Options for {@link evaluateRouter}. */
export interface EvaluateRouterOptions {
  /** Prices the weak side. @default 'claude-haiku-5-5' */
  weakModel?: string;
  /** Prices the strong side (and is the baseline of cost saved). @default 'claude-opus-5-5' */
  strongModel?: string;
  /** @default core's default catalog */
  catalog?: ModelCatalog;
  /** Output tokens of a prompt without a recorded response. @default 1 */
  defaultOutputTokens?: number;
  /** The run id the policy's `pick` sees. @default 'router-eval' */
  runId?: string;
}

/** One row of the evaluation: a way of routing the data set. */
export interface EvaluationRow {
  policy: string;
  /** Share of prompts sent to the strong model. */
  strongShare: number;
  /** Share answered correctly. */
  quality: number;
  /** nano-USD. */
  cost: number;
  /** 1 - cost / always-strong cost. */
  costSaved: number;
  /** quality / always-strong quality. */
  qualityRetained: number;
}

/** What {@link evaluateRouter} measures. */
export interface EvaluationReport {
  dataset: string;
  policy: string;
  prompts: number;
  alwaysWeak: EvaluationRow;
  alwaysStrong: EvaluationRow;
  /** The cheapest correct model per prompt (weak when neither is correct). */
  oracle: EvaluationRow;
  /** The policy's own picks. */
  result: EvaluationRow;
  /** A random router with the same expected cost as the policy. */
  random: EvaluationRow;
  /** Scoring policies only: the whole curve over the threshold and its metrics. */
  curve?: CurvePoint[];
  apgr?: number;
  /** Smallest strong share reaching 50% of the weak-to-strong quality gap. */
  cpt50?: number;
  cpt80?: number;
  /** Scoring policies only: each prompt's score, in dataset order. */
  scores?: number[];
}

function row(
  policy: string,
  strongShare: number,
  quality: number,
  cost: number,
  strong: { quality: number; cost: number },
): EvaluationRow {
  return {
    policy,
    strongShare,
    quality,
    cost,
    costSaved: strong.cost === 0 ? 0 : 1 - cost / strong.cost,
    qualityRetained: strong.quality === 0 ? 0 : quality / strong.quality,
  };
}

/** Prices every prompt on both models from estimated tokens. */
export function priceDataset(
  dataset: RouterDataset,
  options: EvaluateRouterOptions = {},
): CurveInput {
  const catalog = options.catalog ?? defaultCatalog;
  const weak = catalog.get(
    resolveModel(catalog, options.weakModel ?? DEFAULT_WEAK_MODEL, 'weakModel'),
  );
  const strong = catalog.get(
    resolveModel(catalog, options.strongModel ?? DEFAULT_STRONG_MODEL, 'strongModel'),
  );
  const fallback = options.defaultOutputTokens ?? DEFAULT_EVAL_OUTPUT_TOKENS;
  const price = (model: typeof weak, prompt: string, response: string | undefined) =>
    estimateTextTokens(prompt, model.tier) * model.prices.input +
    (response === undefined ? fallback : estimateTextTokens(response, model.tier)) *
      model.prices.output;
  return {
    weak: dataset.rows.map((item) => item.weak),
    strong: dataset.rows.map((item) => item.strong),
    weakCost: dataset.rows.map((item) => price(weak, item.prompt, item.weakResponse)),
    strongCost: dataset.rows.map((item) => price(strong, item.prompt, item.strongResponse)),
  };
}

/**
 * Replays a policy with `accept` (a cascade) on recorded outcomes: each pick
 * is an attempt whose summary and data are the recorded response of that
 * side, priced as that side; a rejected attempt is paid for and the policy
 * picks again. The prompt is scored by the last attempt's model.
 */
async function replayAttempts(
  policy: Router,
  dataset: RouterDataset,
  input: CurveInput,
  options: {
    runId: string;
    isStrong: (model: string) => boolean;
    strongTotals: { quality: number; cost: number };
  },
): Promise<EvaluationRow> {
  let correct = 0;
  let cost = 0;
  let strongCalls = 0;
  for (const [index, item] of dataset.rows.entries()) {
    const subtask = {
      id: item.id,
      brief: item.prompt,
      ...(item.domain ? { tags: [item.domain] } : {}),
    };
    const attempts: RouterAttempt[] = [];
    let answered: boolean | undefined;
    let usedStrong = false;
    for (let step = 0; step < REPLAY_MAX_ATTEMPTS; step += 1) {
      const context = { runId: options.runId, attempts: [...attempts] };
      const pick = await policy.pick(subtask, context);
      if (!pick) break;
      const strong = options.isStrong(pick.model);
      const response = (strong ? item.strongResponse : item.weakResponse) ?? '';
      const attempt: RouterAttempt = {
        model: pick.model,
        status: 'done',
        summary: response,
        data: response,
        cost: strong ? input.strongCost[index]! : input.weakCost[index]!,
      };
      cost += attempt.cost;
      usedStrong ||= strong;
      answered = strong ? item.strong : item.weak;
      const verdict = await policy.accept!(subtask, attempt, context);
      if (verdict.ok) break;
      attempts.push({ ...attempt, reason: verdict.reason });
    }
    correct += Number(answered === true);
    strongCalls += Number(usedStrong);
  }
  const count = dataset.rows.length;
  return row(policy.name, strongCalls / count, correct / count, cost, options.strongTotals);
}

/**
 * Evaluates a policy on prompts with recorded outcomes: cost saved and
 * quality retained against always-strong, beside the always-weak,
 * always-strong, oracle and random-at-matched-cost rows. A scoring policy
 * also gets its whole curve over the threshold with APGR, CPT(50%) and
 * CPT(80%). A policy with `accept` (a cascade) is replayed attempt by
 * attempt on the recorded responses, paying for every attempt. A pick of
 * any model but the weak one counts as strong (the data records two models
 * only).
 */
export async function evaluateRouter(
  policy: Router,
  dataset: RouterDataset,
  options: EvaluateRouterOptions = {},
): Promise<EvaluationReport> {
  const catalog = options.catalog ?? defaultCatalog;
  const weakId = resolveModel(catalog, options.weakModel ?? DEFAULT_WEAK_MODEL, 'weakModel');
  const input = priceDataset(dataset, options);
  const count = dataset.rows.length;
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const share = (flags: readonly boolean[]) => flags.filter(Boolean).length / count;
  const strongTotals = { quality: share(input.strong), cost: sum(input.strongCost) };
  const weakTotals = { quality: share(input.weak), cost: sum(input.weakCost) };
  const route = (toStrong: readonly boolean[], name: string) => {
    let correct = 0;
    let cost = 0;
    toStrong.forEach((strong, index) => {
      correct += Number(strong ? input.strong[index] : input.weak[index]);
      cost += strong ? input.strongCost[index]! : input.weakCost[index]!;
    });
    return row(name, share(toStrong), correct / count, cost, strongTotals);
  };
  const alwaysWeak = route(
    input.weak.map(() => false),
    'always-weak',
  );
  const alwaysStrong = route(
    input.weak.map(() => true),
    'always-strong',
  );
  const oracle = route(
    input.weak.map((weak, index) => !weak && input.strong[index]!),
    'oracle',
  );
  const runId = options.runId ?? 'router-eval';
  const subtasks = dataset.rows.map((item) => ({
    id: item.id,
    brief: item.prompt,
    ...(item.domain ? { tags: [item.domain] } : {}),
  }));
  const isStrong = (model: string) => resolveModel(catalog, model, 'pick.model') !== weakId;
  let scores: number[] | undefined;
  let result: EvaluationRow;
  if (isScoringRouter(policy)) {
    scores = [];
    for (const subtask of subtasks) scores.push(await policy.score(subtask));
    result = route(
      scores.map((score) => score >= policy.threshold),
      policy.name,
    );
  } else if (policy.accept) {
    result = await replayAttempts(policy, dataset, input, { runId, isStrong, strongTotals });
  } else {
    const toStrong: boolean[] = [];
    for (const subtask of subtasks) {
      const pick = await policy.pick(subtask, { runId, attempts: [] });
      toStrong.push(pick !== null && isStrong(pick.model));
    }
    result = route(toStrong, policy.name);
  }
  // Random routing at the policy's cost: expected quality and cost are linear in the strong share.
  const span = strongTotals.cost - weakTotals.cost;
  const matched = span === 0 ? 0 : Math.min(1, Math.max(0, (result.cost - weakTotals.cost) / span));
  const random = row(
    `random@${policy.name}`,
    matched,
    weakTotals.quality + matched * (strongTotals.quality - weakTotals.quality),
    result.cost,
    strongTotals,
  );
  const report: EvaluationReport = {
    dataset: dataset.name,
    policy: policy.name,
    prompts: count,
    alwaysWeak,
    alwaysStrong,
    oracle,
    result,
    random,
  };
  if (scores) {
    const curve = scoreCurve(scores, input);
    report.curve = curve;
    report.apgr = averagePerformanceGapRecovered(curve, weakTotals.quality, strongTotals.quality);
    report.cpt50 = callPerformanceThreshold(curve, 0.5, weakTotals.quality, strongTotals.quality);
    report.cpt80 = callPerformanceThreshold(curve, 0.8, weakTotals.quality, strongTotals.quality);
    report.scores = scores;
  }
  return report;
}
