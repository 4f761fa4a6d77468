import { createHash } from 'node:crypto';
import type { ModelCatalog } from '@haiku-army/core';
import { DEFAULT_STRONG_MODEL, DEFAULT_WEAK_MODEL } from '../constants.js';
import { checkThreshold, resolveModel } from '../internal/models.js';
import {
  createScorer,
  type LearnedModelFile,
  type PromptScorer,
} from '../learned/learned-model.js';
import weights from '../learned/weights.json' with { type: 'json' };
import type { ScoringRouter } from '../router.js';

/** The committed model, trained on the RouteLLM development files. */
export const LEARNED_MODEL = weights as unknown as LearnedModelFile;

/** Options for {@link learned}. */
export interface LearnedOptions {
  /** Scores at or above it pick the strong model. @default the model file's threshold */
  threshold?: number;
  /** The weights. @default LEARNED_MODEL (packages/router/src/learned/weights.json) */
  model?: LearnedModelFile;
  /** @default 'claude-haiku-5-5' */
  weakModel?: string;
  /** @default 'claude-opus-5-5' */
  strongModel?: string;
  /** Checks the model ids. @default core's default catalog */
  catalog?: ModelCatalog;
  /** @default 'learned' */
  name?: string;
}

let defaultScorer: PromptScorer | undefined;

/**
 * A learned model file's content hash, computed on each `learned()` (not
 * memoised by object: a file edited in place must change the fingerprint).
 */
function modelHash(file: LearnedModelFile): string {
  return createHash('sha256').update(JSON.stringify(file)).digest('hex');
}

function committedScorer(): PromptScorer {
  if (!defaultScorer) defaultScorer = createScorer(LEARNED_MODEL);
  return defaultScorer;
}

/**
 * Scores a brief with the committed logistic-regression model (higher =
 * more reason to use the strong model) and picks the strong model at or
 * above the threshold. It needs no network and no download.
 *
 * @example
 * const router = learned({ threshold: 0.55 });
 */
export function learned(options: LearnedOptions = {}): ScoringRouter {
  const file = options.model ?? LEARNED_MODEL;
  const threshold = checkThreshold(options.threshold ?? file.threshold, 'threshold');
  const weak = resolveModel(options.catalog, options.weakModel ?? DEFAULT_WEAK_MODEL, 'weakModel');
  const strong = resolveModel(
    options.catalog,
    options.strongModel ?? DEFAULT_STRONG_MODEL,
    'strongModel',
  );
  const scorer = options.model === undefined ? committedScorer() : createScorer(options.model);
  return scoringRouter({
    name: options.name ?? 'learned',
    // scoringRouter adds the threshold and the two models.
    fingerprint: JSON.stringify({ router: 'learned', weights: modelHash(file) }),
    threshold,
    weak,
    strong,
    score: (subtask) => scorer(subtask.brief),
  });
}

/** Options for {@link scoringRouter}. */
export interface ScoringRouterOptions {
  name: string;
  threshold: number;
  /** Canonical ids. */
  weak: string;
  strong: string;
  score: ScoringRouter['score'];
  /** What decides the scores (see {@link Router.fingerprint}); without it the result cache stores nothing. */
  fingerprint?: string;
}

/** A two-model router from any score function: strong at or above the threshold. */
export function scoringRouter(options: ScoringRouterOptions): ScoringRouter {
  const threshold = checkThreshold(options.threshold, 'threshold');
  return {
    name: options.name,
    ...(options.fingerprint !== undefined
      ? {
          fingerprint: JSON.stringify({
            scorer: options.fingerprint,
            threshold,
            weak: options.weak,
            strong: options.strong,
          }),
        }
      : {}),
    threshold,
    score: options.score,
    async pick(subtask) {
      const score = await options.score(subtask);
      const model = score >= threshold ? options.strong : options.weak;
      return {
        model,
        reason: `score ${score.toFixed(3)} ${score >= threshold ? '>=' : '<'} threshold ${threshold} -> ${model}`,
      };
    },
  };
}
