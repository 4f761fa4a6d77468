import { BATCH_EXPIRY_MS } from '../constants.js';
import type { Message } from '../wire-types.js';

/** One request inside a batch. */
export interface BatchItem {
  customId: string;
  params: unknown;
}

/** The result of one batch request, in the API's shape. */
export type BatchResult =
  | { type: 'succeeded'; message: Message }
  | {
      type: 'errored';
      error: { type: 'error'; error: { type: string; message: string }; request_id: string | null };
    }
  | { type: 'canceled' }
  | { type: 'expired' };

/** A stored batch. */
export interface StoredBatch {
  id: string;
  requestId: string;
  items: BatchItem[];
  createdAt: number;
  /** When processing finishes, ms on the fake's clock. */
  endsAt: number;
  cancelInitiatedAt: number | null;
  endedAt: number | null;
  results: { customId: string; result: BatchResult }[] | null;
  processing: Promise<void> | null;
  /** The API base URL the creating request used (origin and base path), for `results_url`. */
  apiBase: string;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Batches in creation order. */
export class BatchStore {
  readonly #batches = new Map<string, StoredBatch>();

  add(batch: StoredBatch): void {
    this.#batches.set(batch.id, batch);
  }

  get(id: string): StoredBatch | undefined {
    return this.#batches.get(id);
  }

  delete(id: string): boolean {
    return this.#batches.delete(id);
  }

  /** Newest first. */
  list(): StoredBatch[] {
    return [...this.#batches.values()].reverse();
  }

  clear(): void {
    this.#batches.clear();
  }

  /** The `MessageBatch` object for a stored batch. */
  static view(batch: StoredBatch) {
    const ended = batch.results !== null;
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (ended) {
      for (const { result } of batch.results!) counts[result.type] += 1;
    } else {
      counts.processing = batch.items.length;
    }
    return {
      id: batch.id,
      type: 'message_batch' as const,
      processing_status: ended
        ? 'ended'
        : batch.cancelInitiatedAt !== null
          ? 'canceling'
          : 'in_progress',
      request_counts: counts,
      created_at: iso(batch.createdAt)!,
      ended_at: iso(batch.endedAt),
      expires_at: iso(batch.createdAt + BATCH_EXPIRY_MS)!,
      archived_at: null,
      cancel_initiated_at: iso(batch.cancelInitiatedAt),
      results_url: ended ? `${batch.apiBase}/v1/messages/batches/${batch.id}/results` : null,
    };
  }
}
