import { usd } from '@haiku-army/core';
import { InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer of at least `minimum`. */
export function integerAtLeast(minimum: number, maximum = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < minimum || parsed > maximum)
      throw new InvalidArgumentError(
        maximum === Number.MAX_SAFE_INTEGER
          ? `Expected an integer >= ${minimum}.`
          : `Expected an integer from ${minimum} to ${maximum}.`,
      );
    return parsed;
  };
}

/** A commander argument parser for a number in [minimum, maximum]. */
export function numberBetween(minimum: number, maximum: number) {
  return (value: string): number => {
    const parsed = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed) || parsed < minimum || parsed > maximum)
      throw new InvalidArgumentError(`Expected a number from ${minimum} to ${maximum}.`);
    return parsed;
  };
}

/** A dollar amount (`0.5`, `$2`) above zero, as a number of dollars. */
export function parseDollars(value: string): number {
  const text = value.trim().replace(/^\$/, '');
  const dollars = /^\d*\.?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isFinite(dollars) && dollars > 0))
    throw new InvalidArgumentError('Expected a dollar amount above zero, e.g. 0.50 or $2.');
  return dollars;
}

/** `--budget`: dollars (`0.5`, `$2`) to nano-USD, more than zero. */
export function parseBudget(value: string): number {
  const dollars = parseDollars(value);
  const nano = usd(dollars);
  if (!(nano > 0))
    throw new InvalidArgumentError('Expected a dollar amount above zero, e.g. 0.50 or $2.');
  return nano;
}
