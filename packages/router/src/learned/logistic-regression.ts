import type { SparseFeatures } from './features.js';

/** Options for {@link trainLogisticPair}. */
export interface TrainOptions {
  /** Number of weights (hash buckets). */
  size: number;
  /** L2 penalty per weight. @default 5e-4 */
  l2?: number;
  /** Full-batch Adam iterations. @default 80 */
  iterations?: number;
  /** Adam step size. @default 0.1 */
  learningRate?: number;
}

/** The logistic function. */
export function sigmoid(value: number): number {
  if (value >= 0) return 1 / (1 + Math.exp(-value));
  const exp = Math.exp(value);
  return exp / (1 + exp);
}

/** The model's probability for one example. */
export function predict(weights: ArrayLike<number>, features: SparseFeatures): number {
  let sum = 0;
  for (let index = 0; index < features.indices.length; index += 1) {
    sum += (weights[features.indices[index]!] ?? 0) * features.values[index]!;
  }
  return sigmoid(sum);
}

/** The weights of the two regressions {@link trainLogisticPair} fits. */
export interface LogisticPair {
  first: Float64Array;
  second: Float64Array;
}

function adamStep(
  weights: Float64Array,
  gradient: Float64Array,
  moment: Float64Array,
  variance: Float64Array,
  settings: { count: number; l2: number; rate: number; correction1: number; correction2: number },
): void {
  for (let index = 0; index < weights.length; index += 1) {
    const g = gradient[index]! / settings.count + settings.l2 * weights[index]!;
    if (g === 0 && moment[index] === 0) continue;
    moment[index] = 0.9 * moment[index]! + 0.1 * g;
    variance[index] = 0.999 * variance[index]! + 0.001 * g * g;
    weights[index]! -=
      (settings.rate * (moment[index]! / settings.correction1)) /
      (Math.sqrt(variance[index]! / settings.correction2) + 1e-8);
  }
}

/**
 * Two L2-regularised logistic regressions on the same features (one per
 * label vector), fitted together by full-batch Adam: each example is read
 * once per iteration for both. No shuffling and no random start, so the
 * same data always gives the same weights.
 */
export function trainLogisticPair(
  examples: readonly SparseFeatures[],
  labels: readonly [ArrayLike<number>, ArrayLike<number>],
  options: TrainOptions,
): LogisticPair {
  const l2 = options.l2 ?? 5e-4;
  const iterations = options.iterations ?? 80;
  const rate = options.learningRate ?? 0.1;
  const size = options.size;
  const [labelsA, labelsB] = labels;
  const weightsA = new Float64Array(size);
  const weightsB = new Float64Array(size);
  const gradientA = new Float64Array(size);
  const gradientB = new Float64Array(size);
  const state = [
    new Float64Array(size),
    new Float64Array(size),
    new Float64Array(size),
    new Float64Array(size),
  ] as const;
  const count = examples.length;
  for (let step = 1; step <= iterations; step += 1) {
    gradientA.fill(0);
    gradientB.fill(0);
    for (let row = 0; row < count; row += 1) {
      const { indices, values } = examples[row]!;
      let sumA = 0;
      let sumB = 0;
      for (let index = 0; index < indices.length; index += 1) {
        const bucket = indices[index]!;
        const value = values[index]!;
        sumA += weightsA[bucket]! * value;
        sumB += weightsB[bucket]! * value;
      }
      const errorA = sigmoid(sumA) - labelsA[row]!;
      const errorB = sigmoid(sumB) - labelsB[row]!;
      for (let index = 0; index < indices.length; index += 1) {
        const bucket = indices[index]!;
        const value = values[index]!;
        gradientA[bucket]! += errorA * value;
        gradientB[bucket]! += errorB * value;
      }
    }
    const settings = {
      count,
      l2,
      rate,
      correction1: 1 - 0.9 ** step,
      correction2: 1 - 0.999 ** step,
    };
    adamStep(weightsA, gradientA, state[0], state[1], settings);
    adamStep(weightsB, gradientB, state[2], state[3], settings);
  }
  return { first: weightsA, second: weightsB };
}
