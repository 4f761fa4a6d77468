/**
 * Money as integer cents, so sums stay exact.
 */

/** Cents per unit of currency. */
export const CENTS_PER_UNIT = 100;

/**
 * Dollars (a decimal number) to integer cents.
 * @example
 * toCents(12.34) // => 1234
 */
export function toCents(amount: number): number {
  return Math.round(amount * CENTS_PER_UNIT);
}

/**
 * Cents as a dollar string.
 * @example
 * formatCents(123456) // => '$1234.56'
 */
export function formatCents(cents: number): string {
  return `$${(cents / CENTS_PER_UNIT).toFixed(2)}`;
}

/**
 * Splits cents into `parts` shares that differ by at most one cent and add up exactly.
 * @example
 * splitEvenly(100, 3) // => [34, 33, 33]
 */
export function splitEvenly(cents: number, parts: number): number[] {
  const base = Math.floor(cents / parts);
  const extra = cents - base * parts;
  return Array.from({ length: parts }, (_, index) => base + (index < extra ? 1 : 0));
}

/**
 * Adds a tax rate given in basis points (1/100 of a percent), rounding half up.
 * @example
 * addTax(1000, 825) // => 1083
 */
export function addTax(cents: number, basisPoints: number): number {
  return cents + Math.round((cents * basisPoints) / 10_000);
}
