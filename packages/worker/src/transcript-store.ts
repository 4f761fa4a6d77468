import { invalidOption } from '@haiku-army/core';
import type { WorkerStatus, WorkerStopCode } from './worker-result.js';

/** The full record of one worker run, kept for debugging, never sent upward. */
export interface WorkerTranscript {
  id: string;
  runId: string;
  taskId: string;
  model: string;
  /** ms since the epoch. */
  startedAt: number;
  endedAt: number;
  /** The `system` blocks every request carried. */
  system: unknown[];
  /** Names of the tools offered. */
  tools: string[];
  /** Every message, in order: the brief, assistant turns, tool results, reminders. */
  messages: unknown[];
  status: WorkerStatus;
  code?: WorkerStopCode;
  reason?: string;
}

/** Where transcripts go. Implement it to keep them on disk or elsewhere. */
export interface TranscriptStore {
  /** Keeps a transcript; a failure here never loses the worker's result. */
  save(transcript: WorkerTranscript): void | Promise<void>;
  /** The transcript with this id (`result.transcriptId`), if kept. */
  get(id: string): WorkerTranscript | undefined | Promise<WorkerTranscript | undefined>;
}

/** Options for {@link MemoryTranscriptStore}. */
export interface MemoryTranscriptStoreOptions {
  /** Transcripts kept; the oldest are dropped beyond it. @default 1000 */
  maxEntries?: number;
}

/** Keeps the most recent transcripts in memory. */
export class MemoryTranscriptStore implements TranscriptStore {
  readonly #entries = new Map<string, WorkerTranscript>();
  readonly #maxEntries: number;

  constructor(options: MemoryTranscriptStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 1_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw invalidOption('maxEntries', 'an integer >= 1', maxEntries);
    this.#maxEntries = maxEntries;
  }

  /** Keeps a transcript, dropping the oldest beyond `maxEntries`. */
  save(transcript: WorkerTranscript): void {
    this.#entries.set(transcript.id, transcript);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** The transcript with this id, if still kept. */
  get(id: string): WorkerTranscript | undefined {
    return this.#entries.get(id);
  }

  /** Transcripts kept, oldest first, optionally of one task. */
  list(filter: { taskId?: string; runId?: string } = {}): WorkerTranscript[] {
    return [...this.#entries.values()].filter(
      (entry) =>
        (filter.taskId === undefined || entry.taskId === filter.taskId) &&
        (filter.runId === undefined || entry.runId === filter.runId),
    );
  }

  /** Transcripts kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops every transcript. */
  clear(): void {
    this.#entries.clear();
  }
}
