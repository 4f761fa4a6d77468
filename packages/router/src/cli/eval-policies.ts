import { DEFAULT_STRONG_MODEL, DEFAULT_WEAK_MODEL } from '../constants.js';
import { createScorer, type LearnedModelFile } from '../learned/learned-model.js';
import { cascade } from '../policies/cascade.js';
import { LEARNED_MODEL, scoringRouter } from '../policies/learned.js';
import { rules } from '../policies/rules.js';
import { predicateValidator } from '../policies/validators.js';
import type { Router } from '../router.js';

/** A policy the eval runs, and how its figures were obtained. */
export interface EvalPolicy {
  router: Router;
  /** `heuristic` (nothing trained), `cross-validated`, `in-sample` or `held-out`. */
  evaluation: string;
}

/** Keyword rules a person might write for "needs the strong model", judged like the rest. */
export function keywordRules(): Router {
  return rules({
    name: 'rules (keywords)',
    rules: [
      { name: 'long prompt', pattern: '^[\\s\\S]{700,}$', model: DEFAULT_STRONG_MODEL },
      {
        name: 'hard words',
        keywords: [
          'prove',
          'probability',
          'integral',
          'derivative',
          'equation',
          'percent',
          'ratio',
          'remainder',
          'average',
          'interest',
        ],
        model: DEFAULT_STRONG_MODEL,
      },
    ],
    default: DEFAULT_WEAK_MODEL,
  });
}

const FINAL_ANSWER = /####\s*-?[\d,.]+/;

/**
 * Weak first; escalate to strong when the weak answer has no final
 * `#### <number>` line (GSM8K's answer format; a cut-off answer has none).
 * Only meaningful on data with recorded weak responses.
 */
export function finalAnswerCascade(): Router {
  return cascade([DEFAULT_WEAK_MODEL, DEFAULT_STRONG_MODEL], {
    name: 'cascade (final-answer check)',
    validate: predicateValidator(
      ({ attempt }) => FINAL_ANSWER.test(attempt.summary) || 'no "#### <number>" final answer line',
    ),
  });
}

/** Longer prompt, higher score: the simplest scoring baseline. */
export function promptLength(): Router {
  return scoringRouter({
    name: 'prompt-length',
    threshold: 0.5,
    weak: DEFAULT_WEAK_MODEL,
    strong: DEFAULT_STRONG_MODEL,
    score: (subtask) => subtask.brief.length / (subtask.brief.length + 500),
  });
}

function coverage(
  ids: readonly string[],
  known: ReadonlyMap<string, number>,
): 'all' | 'none' | 'some' {
  const inside = ids.filter((id) => known.has(id)).length;
  return inside === ids.length ? 'all' : inside === 0 ? 'none' : 'some';
}

/**
 * The learned policy twice: scored by cross-validation where a prompt is in
 * the development data (each by the fold model that never saw it), by the
 * shipped weights where it is not (a true held-out score); and, when the
 * data overlaps the training data, the shipped weights on it, labelled
 * in-sample.
 */
export function learnedPolicies(
  ids: readonly string[],
  crossValidated: ReadonlyMap<string, number>,
  file: LearnedModelFile = LEARNED_MODEL,
): EvalPolicy[] {
  const shipped = createScorer(file);
  const common = {
    threshold: file.threshold,
    weak: DEFAULT_WEAK_MODEL,
    strong: DEFAULT_STRONG_MODEL,
  };
  const held = coverage(ids, crossValidated);
  const policies: EvalPolicy[] = [
    {
      router: scoringRouter({
        ...common,
        name: 'learned',
        score: (subtask) => crossValidated.get(subtask.id) ?? shipped(subtask.brief),
      }),
      evaluation:
        held === 'all'
          ? 'cross-validated'
          : held === 'none'
            ? 'held-out'
            : 'cross-validated+held-out',
    },
  ];
  if (held !== 'none') {
    policies.push({
      router: scoringRouter({
        ...common,
        name: 'learned (in-sample)',
        score: (subtask) => shipped(subtask.brief),
      }),
      evaluation: held === 'all' ? 'in-sample' : 'in-sample+held-out',
    });
  }
  return policies;
}
