/**
 * Calendar helpers (proleptic Gregorian calendar).
 */

/**
 * Whether a year has 29 February.
 * @example
 * isLeapYear(2024) // => true
 * isLeapYear(1900) // => false
 */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Days in a month, `month` 1-12.
 * @example
 * daysInMonth(2024, 2) // => 29
 * daysInMonth(2023, 4) // => 30
 */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
