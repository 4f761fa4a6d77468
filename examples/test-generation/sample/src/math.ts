/**
 * Number helpers for statistics over small arrays.
 */

/**
 * Keeps a value within [low, high].
 * @example
 * clamp(12, 0, 10) // => 10
 */
export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Linear interpolation between two numbers.
 * @example
 * lerp(0, 10, 0.25) // => 2.5
 */
export function lerp(from: number, to: number, t: number): number {
  return from + (to - from) * t;
}

/**
 * Rounds to a number of decimal places.
 * @example
 * roundTo(3.14159, 2) // => 3.14
 */
export function roundTo(value: number, places: number): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

/**
 * Adds the numbers up.
 * @example
 * sum([1, 2, 3]) // => 6
 */
export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * The arithmetic mean; NaN for an empty array.
 * @example
 * mean([2, 4, 9]) // => 5
 */
export function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

/**
 * The middle value (the mean of the two middle values for an even count).
 * @example
 * median([5, 1, 3]) // => 3
 * median([4, 1, 3, 2]) // => 2.5
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
