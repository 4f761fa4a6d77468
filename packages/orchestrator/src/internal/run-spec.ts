import type * as z from 'zod';
import type { Plan } from '../plan.js';
import type { ResumeState } from '../run-recorder.js';
import type { SubtaskResult } from '../run-result.js';

/** What one run is asked to do (from `run`, `runPlan` or `map`). */
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
  /** Set on resume: what the interrupted run finished and submitted. */
  resume?: ResumeState;
}
