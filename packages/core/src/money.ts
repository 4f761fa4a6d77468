import { ArmyError, ERROR_CODES } from './errors.js';

/**
 * Money is integer nano-USD (1e-9 US dollars) everywhere in haiku-army.
 * $1 per million tokens is exactly 1,000 nano-USD per token, so every listed
 * price is a whole number per token and sums never drift.
 */
export type NanoUsd = number;

/** nano-USD in one US dollar. */
export const NANO_PER_USD = 1_000_000_000;

/**
 * Converts a price in US dollars per million tokens to nano-USD per token.
 * Throws when the price is not a whole number of nano-USD per token.
 */
export function perMillionToNanoPerToken(usdPerMillion: number): NanoUsd {
  const nano = Math.round(usdPerMillion * 1000);
  if (
    !Number.isFinite(usdPerMillion) ||
    usdPerMillion < 0 ||
    Math.abs(nano - usdPerMillion * 1000) > 1e-6
  ) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected a price per million tokens that is a whole number of nano-USD per token (a multiple of $0.001), got ${usdPerMillion}.`,
    );
  }
  return nano;
}

/** Converts US dollars to nano-USD, rounded to the nearest nano. For user input at the edge. */
export function usd(dollars: number): NanoUsd {
  if (!Number.isFinite(dollars))
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected a finite dollar amount, got ${dollars}.`,
    );
  return Math.round(dollars * NANO_PER_USD);
}

/** Options for {@link formatUsd}. */
export interface FormatUsdOptions {
  /**
   * Digits after the decimal point.
   * @default 4 (or 6 for amounts under one cent)
   */
  digits?: number;
}

/**
 * Formats nano-USD as dollars, e.g. `formatUsd(1_234_500_000) === '$1.2345'`.
 * Formatting is done with integer arithmetic so large amounts stay exact.
 */
export function formatUsd(nano: NanoUsd, options: FormatUsdOptions = {}): string {
  if (!Number.isInteger(nano))
    throw new ArmyError(ERROR_CODES.INVALID_OPTIONS, `Expected integer nano-USD, got ${nano}.`);
  const negative = nano < 0;
  const magnitude = Math.abs(nano);
  const digits = options.digits ?? (magnitude > 0 && magnitude < 10_000_000 ? 6 : 4);
  if (!Number.isInteger(digits) || digits < 0 || digits > 9) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`digits\` to be an integer from 0 to 9, got ${digits}.`,
    );
  }
  const unit = 10 ** (9 - digits);
  // Round half away from zero to the requested digits, in integers.
  const rounded = Math.floor((magnitude + unit / 2) / unit);
  const scale = 10 ** digits;
  const whole = Math.floor(rounded / scale);
  const fraction = rounded % scale;
  const wholeText = whole.toLocaleString('en-US');
  const text = digits === 0 ? wholeText : `${wholeText}.${String(fraction).padStart(digits, '0')}`;
  return `${negative ? '-' : ''}$${text}`;
}
