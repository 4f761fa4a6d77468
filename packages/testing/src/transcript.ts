import type { MessageRequest } from './wire-types.js';

/** One request the fake received. */
export interface TranscriptEntry {
  /** The `request-id` the fake returned. */
  requestId: string;
  /** When it arrived, ms on the fake's clock. */
  time: number;
  /** `http` for a request on the wire; `batch` for one request processed inside a batch. */
  source: 'http' | 'batch';
  method: string;
  /** URL path, e.g. `/v1/messages`. */
  path: string;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /** The parsed JSON body, when there was one. */
  body: unknown;
  /** The `model` field of the body, when present. */
  model?: string;
  /** True for `stream: true` message requests. */
  stream: boolean;
  /** Response status, once known (0 for a dropped connection). */
  status?: number;
  batchId?: string;
  customId?: string;
}

/**
 * Every request the fake received, in arrival order, so a test can assert
 * exactly what a model saw.
 *
 * @example
 * const [first] = fake.transcript.messages('claude-haiku-5-5');
 * expect(first.system).toContain('You are a worker');
 */
export class Transcript {
  readonly #entries: TranscriptEntry[] = [];

  /** All entries. */
  get entries(): readonly TranscriptEntry[] {
    return this.#entries;
  }

  /** Adds an entry. @internal */
  record(entry: TranscriptEntry): TranscriptEntry {
    this.#entries.push(entry);
    return entry;
  }

  /** Entries for one model (as sent in the body). */
  forModel(model: string): TranscriptEntry[] {
    return this.#entries.filter((entry) => entry.model === model);
  }

  /**
   * Message request bodies (`POST /v1/messages` and batch requests), optionally
   * for one model.
   */
  messages(model?: string): MessageRequest[] {
    return this.#entries
      .filter(
        (entry) =>
          (entry.source === 'batch' ||
            (entry.method === 'POST' && entry.path === '/v1/messages')) &&
          (model === undefined || entry.model === model),
      )
      .map((entry) => entry.body as MessageRequest);
  }

  /** The latest entry. */
  last(): TranscriptEntry | undefined {
    return this.#entries.at(-1);
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.length = 0;
  }
}
