import { hashContent } from '@haiku-army/worker';

/** JSON with object keys sorted, so equal values always serialise (and hash) the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      sorted[key] = canonical((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/**
 * The cache key of a value: sha256 (hex) of its canonical JSON. Hand-written
 * (a dozen lines) rather than a stable-stringify dependency: the values are
 * plain JSON built here.
 */
export function cacheKey(value: unknown): string {
  return hashContent(JSON.stringify(canonical(value)) ?? 'undefined');
}
