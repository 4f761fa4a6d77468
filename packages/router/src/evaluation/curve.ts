/** One point of a scoring policy's curve: route the top `strongShare` to the strong model. */
export interface CurvePoint {
  /** The threshold: prompts scoring at or above it go to the strong model. */
  threshold: number;
  /** Share of prompts sent to the strong model, 0..1. */
  strongShare: number;
  /** Share answered correctly. */
  quality: number;
  /** Total cost of the routed set, nano-USD. */
  cost: number;
}

/** Per-prompt outcomes and prices a curve is built from. */
export interface CurveInput {
  weak: readonly boolean[];
  strong: readonly boolean[];
  /** nano-USD per prompt when sent to the weak model. */
  weakCost: readonly number[];
  /** nano-USD per prompt when sent to the strong model. */
  strongCost: readonly number[];
}

/**
 * The whole quality-versus-strong-share curve over every threshold: prompts
 * are sorted by score, highest first, and one point is added after each
 * group of equal scores (a threshold cannot split a tie). The first point
 * is all-weak (share 0), the last all-strong (share 1).
 */
export function scoreCurve(scores: readonly number[], input: CurveInput): CurvePoint[] {
  const count = scores.length;
  const order = Array.from({ length: count }, (_, index) => index).sort(
    (a, b) => scores[b]! - scores[a]! || a - b,
  );
  let correct = 0;
  let cost = 0;
  for (let index = 0; index < count; index += 1) {
    if (input.weak[index]) correct += 1;
    cost += input.weakCost[index]!;
  }
  const points: CurvePoint[] = [
    { threshold: Number.POSITIVE_INFINITY, strongShare: 0, quality: correct / count, cost },
  ];
  let position = 0;
  while (position < count) {
    const threshold = scores[order[position]!]!;
    while (position < count && scores[order[position]!] === threshold) {
      const index = order[position]!;
      correct += Number(input.strong[index]) - Number(input.weak[index]);
      cost += input.strongCost[index]! - input.weakCost[index]!;
      position += 1;
    }
    points.push({ threshold, strongShare: position / count, quality: correct / count, cost });
  }
  return points;
}

/**
 * APGR as RouteLLM defines it: the area under the router's quality curve
 * above the weak model's quality, over the same area for the strong model
 * (trapezoids over the strong share from 0 to 1).
 */
export function averagePerformanceGapRecovered(
  points: readonly CurvePoint[],
  weakQuality: number,
  strongQuality: number,
): number {
  let area = 0;
  for (let index = 1; index < points.length; index += 1) {
    const left = points[index - 1]!;
    const right = points[index]!;
    area += ((right.strongShare - left.strongShare) * (left.quality + right.quality)) / 2;
  }
  const span = points.at(-1)!.strongShare - points[0]!.strongShare;
  return (area - weakQuality * span) / ((strongQuality - weakQuality) * span);
}

/**
 * CPT(x) as RouteLLM defines it: the smallest share of strong calls whose
 * quality reaches weak + x * (strong - weak). Over the full curve (one
 * point per distinct score) this is the share of the first point that
 * reaches the target.
 */
export function callPerformanceThreshold(
  points: readonly CurvePoint[],
  fraction: number,
  weakQuality: number,
  strongQuality: number,
): number {
  const target = weakQuality + fraction * (strongQuality - weakQuality);
  // Compare with a little slack: qualities are sums of 1/n steps.
  const reached = points.find((point) => point.quality >= target - 1e-12);
  return reached ? reached.strongShare : 1;
}
