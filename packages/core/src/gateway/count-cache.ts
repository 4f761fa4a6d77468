import { createHash } from 'node:crypto';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages/messages';

/** The request fields `count_tokens` takes; everything else does not change the count. */
const COUNTED_FIELDS = [
  'model',
  'system',
  'tools',
  'tool_choice',
  'messages',
  'thinking',
  'output_config',
  'cache_control',
] as const;

/** The `count_tokens` body for a Messages request (drops `max_tokens`, `stream`, `metadata`, ...). */
export function countParamsOf(request: object): MessageCountTokensParams {
  const source = request as Record<string, unknown>;
  const params: Record<string, unknown> = {};
  for (const field of COUNTED_FIELDS)
    if (source[field] !== undefined) params[field] = source[field];
  return params as unknown as MessageCountTokensParams;
}

/**
 * Exact input counts by request hash, least recently used out first, so a
 * budget that has to count a prompt (a worker's growing conversation, a
 * repeated request) asks the API once per distinct prompt. Concurrent
 * counts of one prompt share one request.
 */
export class CountCache {
  readonly #size: number;
  readonly #counts = new Map<string, number>();
  readonly #pending = new Map<string, Promise<number>>();

  constructor(size: number) {
    this.#size = size;
  }

  static keyOf(params: MessageCountTokensParams): string {
    return createHash('sha256').update(JSON.stringify(params)).digest('base64url');
  }

  /** The cached count, if any. */
  get(key: string): number | undefined {
    const count = this.#counts.get(key);
    if (count !== undefined) {
      this.#counts.delete(key);
      this.#counts.set(key, count);
    }
    return count;
  }

  /** The cached count, or `count()`'s (shared with any concurrent caller), then cached. */
  async getOrCount(key: string, count: () => Promise<number>): Promise<number> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = count().finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const value = await pending;
    this.#set(key, value);
    return value;
  }

  #set(key: string, value: number): void {
    this.#counts.delete(key);
    this.#counts.set(key, value);
    while (this.#counts.size > this.#size) {
      const oldest = this.#counts.keys().next().value as string;
      this.#counts.delete(oldest);
    }
  }
}
