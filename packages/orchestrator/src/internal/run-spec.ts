import type * as z from 'zod';
import type { Artifact } from '../army-options.js';
import type { Plan } from '../plan.js';
import type { ChunkRecord, PlanRecord, ResumeState } from '../run-recorder.js';
import type { SubtaskResult, TimelineEntry } from '../run-result.js';
import type { ItemSource } from './item-source.js';
import type { MapItemRule } from './map-subtasks.js';

export type { ResumeState };

/** The rest of a journaled run that a resume rebuilds its result from. */
export interface JournaledRun {
  /** Every plan the run adopted, by round. */
  plans: PlanRecord[];
  /** When the run first started. */
  startedAt: number;
  /** The calls of the earlier executions. */
  timeline: TimelineEntry[];
  /** Files the kept subtasks wrote. */
  artifacts: Artifact[];
}

/** A map over an iterable: its items are read, journaled and run a chunk at a time. */
export interface StreamedMap {
  /** Where the items come from; undefined on a resume given no `items` (fine once every item was read). */
  source: ItemSource<unknown> | undefined;
  /** How an item becomes its subtask; undefined on a resume given no `brief`. */
  rule: MapItemRule<unknown> | undefined;
  /** Items per chunk. */
  chunkSize: number;
  /** In batch mode, chunks read, journaled and sent ahead of the one running. */
  chunksAhead: number;
  /**
   * `false`: no per-item result stays in memory (each goes to the journal
   * and `onResult`; the run result has `counts`), so memory does not grow
   * with the item count.
   */
  keepResults: boolean;
  /** Set on resume: the chunks the run read before. */
  chunks: ChunkRecord[];
}

/** What one run is asked to do (from `run`, `runPlan`, `map` or `resume`). */
export interface RunSpec<TAnswer> {
  job: string;
  /** A plan to run as is (no planner call for round 1). */
  plan?: Plan;
  /** Whether later rounds may ask the planner for more subtasks. */
  planRounds: boolean;
  /** Schema of every subtask's `data` (map). */
  output?: z.ZodType;
  /** Builds the answer from the results instead of the synthesizer. */
  reduce?: (results: SubtaskResult[]) => TAnswer | Promise<TAnswer>;
  /** Whether the synthesizer writes an answer (when there is no `reduce`). */
  synthesize: boolean;
  signal?: AbortSignal | undefined;
  /** `interactive` or `batch` for this run (overrides the army's `mode`). */
  mode?: 'interactive' | 'batch' | undefined;
  /** `false`: this run neither reuses nor stores cached results. */
  cache?: boolean | undefined;
  /** Called with each subtask's whole result as it finishes (awaited). */
  onResult?: ((result: SubtaskResult) => void | Promise<void>) | undefined;
  /** Set on resume: what the journal kept. */
  resume?: ResumeState;
  /** A streamed map (items from an iterable, in chunks) instead of a plan. */
  stream?: StreamedMap;
  /** Set on resume: the journaled plans, timeline and artifacts. */
  journaled?: JournaledRun;
}
