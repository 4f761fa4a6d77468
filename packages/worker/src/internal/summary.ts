import { estimateTextTokens, type ModelTier } from '@haiku-army/core';

/** Cuts `text` to the longest prefix (plus an ellipsis) within `cap` estimated tokens. */
export function truncateToTokens(text: string, cap: number, tier: ModelTier): string {
  if (estimateTextTokens(text, tier) <= cap) return text;
  const characters = Array.from(text);
  let low = 0;
  let high = characters.length;
  // The estimate grows with the prefix, so the longest fitting prefix can be bisected.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const candidate = `${characters.slice(0, middle).join('').trimEnd()}…`;
    if (estimateTextTokens(candidate, tier) <= cap) low = middle;
    else high = middle - 1;
  }
  return `${characters.slice(0, low).join('').trimEnd()}…`;
}

/** The message that sends an over-long summary back once. */
export function shortenRequest(tokens: number, cap: number): string {
  return `The summary is about ${tokens} tokens; the limit is ${cap}. Shorten it to the essential findings and submit again.`;
}
