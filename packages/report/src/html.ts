import type { NanoUsd } from '@haiku-army/core';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * JSON for an inline `<script type="application/json">`: `<`, `>` and `&`
 * are written as `\u003c`, `\u003e` and `\u0026` (still the same JSON), so
 * no string in it can close the element (`</script>`) or open a comment
 * (`<!--`); U+2028 and U+2029 are escaped too.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Nano-USD as US dollars with all nine decimals, so the amount shown is the
 * exact amount: `formatNanoUsd(1_234_500_000) === '$1.234500000'`.
 * Integer arithmetic; a non-integer amount is rounded to the nearest nano-USD.
 */
export function formatNanoUsd(nano: NanoUsd): string {
  const value = Math.round(nano);
  const negative = value < 0;
  const magnitude = Math.abs(value);
  const whole = Math.floor(magnitude / 1e9);
  const fraction = String(magnitude % 1e9).padStart(9, '0');
  return `${negative ? '-' : ''}$${whole.toLocaleString('en-US')}.${fraction}`;
}

/** An amount of money as an element carrying its exact nano-USD in `data-nano-usd`. */
export function money(nano: NanoUsd, attributes = ''): string {
  const value = Math.round(nano);
  return `<span class="money"${attributes ? ` ${attributes}` : ''} data-nano-usd="${value}">${formatNanoUsd(value)}</span>`;
}

/** A share (0..1) as a percentage with one decimal. */
export function percent(ratio: number): string {
  return `${Number.isFinite(ratio) ? (ratio * 100).toFixed(1) : '0.0'}%`;
}

/** An integer with thousands separators. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** ms as seconds, e.g. `1.234 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}
