/**
 * Measures of request parts that can never change, kept so they are taken
 * once. A fan-out sends the same tools and system blocks with every call;
 * when the caller deep-freezes them (the worker pool does), their JSON size,
 * their token estimate and whether they carry `cache_control` are worked out
 * on the first call and looked up after. A part that is not deep-frozen is
 * measured every time: a cached measure of a mutable object could go stale,
 * and an input bound that undercounts would break a hard cap.
 */

const deepFrozen = new WeakSet<object>();

/** Whether `value` is a primitive, or an object frozen all the way down. */
export function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function';
  if (deepFrozen.has(value)) return true;
  if (!Object.isFrozen(value)) return false;
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    // A getter may answer differently each time, frozen or not.
    if (!descriptor || !('value' in descriptor) || !isDeepFrozen(descriptor.value)) return false;
  }
  deepFrozen.add(value);
  return true;
}

/**
 * Deep-freezes a JSON-like value in place and returns it. For values the
 * caller built itself (never a user's object).
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** One measure of parts, cached for deep-frozen objects only. */
export class FrozenMemo<T> {
  readonly #cache = new WeakMap<object, T>();
  readonly #measure: (value: unknown) => T;

  constructor(measure: (value: unknown) => T) {
    this.#measure = measure;
  }

  of(value: unknown): T {
    if (value === null || typeof value !== 'object') return this.#measure(value);
    const cached = this.#cache.get(value);
    if (cached !== undefined) return cached;
    const measured = this.#measure(value);
    if (isDeepFrozen(value)) this.#cache.set(value, measured);
    return measured;
  }
}
