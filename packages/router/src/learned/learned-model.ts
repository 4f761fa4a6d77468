import { ArmyError, ERROR_CODES } from '@haiku-army/core';
import { CROSS_VALIDATION_FOLDS } from '../constants.js';
import {
  DEFAULT_FEATURE_OPTIONS,
  extractFeatures,
  type FeatureOptions,
  fnv1a,
  type SparseFeatures,
} from './features.js';
import { predict, trainLogisticPair } from './logistic-regression.js';

/**
 * The learned router's weights as committed JSON: two logistic regressions
 * on the same hashed features, one for "the weak model answers correctly"
 * and one for "the strong model does". The score is
 * `(P(strong) - P(weak) + 1) / 2`, in [0, 1]: the expected gain of sending
 * the prompt to the strong model, rescaled.
 */
export interface LearnedModelFile {
  version: 1;
  features: Required<FeatureOptions>;
  training: {
    /** The files the weights were trained on (names only). */
    sources: string[];
    rows: number;
    l2: number;
    iterations: number;
    learningRate: number;
  };
  /** The default threshold: sends `defaultStrongShare` of the training prompts to the strong model. */
  threshold: number;
  defaultStrongShare: number;
  /** One weight per hash bucket, rounded to 4 decimals. */
  weak: number[];
  strong: number[];
}

/** A prompt with its recorded outcomes: what the learned model trains on. */
export interface TrainingRow {
  id: string;
  prompt: string;
  weak: boolean;
  strong: boolean;
}

/** Options for {@link trainRouterModel}. */
export interface TrainRouterModelOptions {
  /** L2 penalty. @default 5e-4 */
  l2?: number;
  /** Full-batch iterations. @default 80 */
  iterations?: number;
  /** @default 0.1 */
  learningRate?: number;
  features?: FeatureOptions;
  /** Share of the training prompts the default threshold sends to the strong model. @default 0.3 */
  defaultStrongShare?: number;
  /** Names recorded in the file. @default [] */
  sources?: string[];
}

/** The training settings used by `pnpm --filter @haiku-army/router train` and the eval. */
export const DEFAULT_TRAINING = { l2: 5e-4, iterations: 80, learningRate: 0.1 } as const;

/** A trained scorer: prompt in, score in [0, 1] out. */
export type PromptScorer = (prompt: string) => number;

interface Pair {
  weak: Float64Array;
  strong: Float64Array;
}

function scorePair(pair: Pair, features: SparseFeatures): number {
  return (predict(pair.strong, features) - predict(pair.weak, features) + 1) / 2;
}

function trainPair(
  rows: readonly TrainingRow[],
  features: readonly SparseFeatures[],
  options: TrainRouterModelOptions,
): Pair {
  const settings = { ...DEFAULT_TRAINING, ...options };
  const size = 2 ** { ...DEFAULT_FEATURE_OPTIONS, ...options.features }.hashBits;
  const { first, second } = trainLogisticPair(
    features,
    [
      Float64Array.from(rows, (row) => (row.weak ? 1 : 0)),
      Float64Array.from(rows, (row) => (row.strong ? 1 : 0)),
    ],
    { size, l2: settings.l2, iterations: settings.iterations, learningRate: settings.learningRate },
  );
  return { weak: first, strong: second };
}

function rounded(weights: Float64Array): number[] {
  // 4 decimals: the file stays small and the scores move by far less than a tie.
  return Array.from(weights, (weight) => Math.round(weight * 10_000) / 10_000 || 0);
}

function dense(weights: unknown, size: number, where: string): Float64Array {
  if (
    !Array.isArray(weights) ||
    weights.length !== size ||
    weights.some((weight) => typeof weight !== 'number' || !Number.isFinite(weight))
  ) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `The learned model's \`${where}\` weights must be ${size} finite numbers. Retrain with \`pnpm --filter @haiku-army/router train\`.`,
    );
  }
  return Float64Array.from(weights as number[]);
}

/** Trains the learned router on rows with recorded outcomes. Deterministic. */
export function trainRouterModel(
  rows: readonly TrainingRow[],
  options: TrainRouterModelOptions = {},
): LearnedModelFile {
  const features = { ...DEFAULT_FEATURE_OPTIONS, ...options.features };
  const settings = { ...DEFAULT_TRAINING, ...options };
  const extracted = rows.map((row) => extractFeatures(row.prompt, features));
  const pair = trainPair(rows, extracted, options);
  const share = options.defaultStrongShare ?? 0.3;
  const scores = extracted.map((item) => scorePair(pair, item)).sort((a, b) => b - a);
  const cut = Math.min(scores.length - 1, Math.max(0, Math.ceil(share * scores.length) - 1));
  return {
    version: 1,
    features,
    training: {
      sources: options.sources ?? [],
      rows: rows.length,
      l2: settings.l2,
      iterations: settings.iterations,
      learningRate: settings.learningRate,
    },
    threshold: Number((scores[cut] ?? 0.5).toFixed(6)),
    defaultStrongShare: share,
    weak: rounded(pair.weak),
    strong: rounded(pair.strong),
  };
}

/** Builds the scorer of a model file. */
export function createScorer(file: LearnedModelFile): PromptScorer {
  if (file?.version !== 1) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Unsupported learned model file version ${JSON.stringify(file?.version)}; expected 1. Retrain with \`pnpm --filter @haiku-army/router train\`.`,
    );
  }
  const size = 2 ** file.features.hashBits;
  const pair = { weak: dense(file.weak, size, 'weak'), strong: dense(file.strong, size, 'strong') };
  return (prompt) => scorePair(pair, extractFeatures(prompt, file.features));
}

/** The fold of a prompt id: fixed by its hash, so folds do not depend on file order. */
export function foldOf(id: string, folds: number = CROSS_VALIDATION_FOLDS): number {
  return fnv1a(id) % folds;
}

/**
 * K-fold cross-validation: every prompt is scored by a model trained on the
 * other folds only (folds fixed by id hash). Returns each id's held-out score.
 */
export function crossValidateScores(
  rows: readonly TrainingRow[],
  options: TrainRouterModelOptions & { folds?: number } = {},
): Map<string, number> {
  const folds = options.folds ?? CROSS_VALIDATION_FOLDS;
  const features = { ...DEFAULT_FEATURE_OPTIONS, ...options.features };
  const extracted = rows.map((row) => extractFeatures(row.prompt, features));
  const fold = rows.map((row) => foldOf(row.id, folds));
  const scores = new Map<string, number>();
  for (let held = 0; held < folds; held += 1) {
    const trainIndices = rows.flatMap((_, index) => (fold[index] === held ? [] : [index]));
    const pair = trainPair(
      trainIndices.map((index) => rows[index]!),
      trainIndices.map((index) => extracted[index]!),
      options,
    );
    rows.forEach((row, index) => {
      if (fold[index] === held) scores.set(row.id, scorePair(pair, extracted[index]!));
    });
  }
  return scores;
}
