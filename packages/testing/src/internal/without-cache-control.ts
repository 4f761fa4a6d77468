/**
 * A block or tool without its `cache_control` field, which changes neither
 * its token count nor the cache key of the prefix it ends.
 */
export function withoutCacheControl(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const { cache_control: _ignored, ...rest } = value as Record<string, unknown>;
  return rest;
}
