import {
  ArmyError,
  type ArmyEvents,
  type CostLedger,
  ERROR_CODES,
  invalidOption,
  type ModelGateway,
} from '@haiku-army/core';
import type { Brief } from '@haiku-army/worker';
import * as z from 'zod';
import type { ArmyOptions } from './army-options.js';
import { PlanInvalidError } from './errors.js';
import { checkMode, requireBatchGateway } from './internal/batch-settings.js';
import { ItemSource, isItemIterable, type MapItems } from './internal/item-source.js';
import { type MapItemRule, mapSubtasks } from './internal/map-subtasks.js';
import { type ResolvedArmyOptions, resolveArmyOptions } from './internal/resolve-army-options.js';
import { RunExecution } from './internal/run-execution.js';
import type { RunSpec } from './internal/run-spec.js';
import { checkChunkSize, checkChunksAhead } from './internal/stream-options.js';
import { FINISHED_RUN_STATUSES, prepareResume, type ResumeOptions } from './journal/resume-run.js';
import { openJournal, restoreJournaledResult } from './journal/run-journal.js';
import type { Plan, PlanInput } from './plan.js';
import { RunHandle, STOP_REPLAY } from './run-handle.js';
import type { RunResult, SubtaskResult } from './run-result.js';
import { instrumentArmyEvents } from './tracing/instrument.js';
import { validatePlan } from './validate-plan.js';

/** Options of one run. */
export interface RunOptions {
  /** Cancels the run: queued subtasks are dropped, running calls aborted; what finished is returned with status `cancelled`. */
  signal?: AbortSignal;
  /**
   * `batch`: this run's worker calls go as Message Batches at half price;
   * `interactive`: as single calls. @default the army's `mode`
   */
  mode?: 'interactive' | 'batch';
  /** `false`: this run neither reuses nor stores results in the army's result cache. @default true */
  cache?: boolean;
}

/** Options of {@link Army.runPlan}. */
export interface RunPlanOptions extends RunOptions {
  /** The job the plan answers, for the synthesizer (and later rounds). @default the plan's reasoning, or its subtask titles */
  job?: string;
}

/** Options of {@link Army.map}. */
export interface MapOptions<TData, TAnswer, TItem = unknown> extends RunOptions {
  /** Schema of every item's `data`: workers must submit matching data. */
  output?: z.ZodType<TData>;
  /** Builds the answer from the results, instead of a synthesizer call. */
  reduce?: (results: SubtaskResult<TData>[]) => TAnswer | Promise<TAnswer>;
  /** Without `reduce`, whether the synthesizer writes an answer from the summaries. @default false */
  synthesize?: boolean;
  /** The job, for the synthesizer. @default 'Map over N items' */
  job?: string;
  /** The subtask id of an item. @default `item-<n>` (1-based) */
  id?: (item: TItem, index: number) => string;
  /**
   * For items given as an iterable (not an array): how many are read,
   * journaled and run at a time. In batch mode a chunk is one Message Batch
   * (split further only past the API's 100,000 requests or 256 MB). Memory
   * is bounded by the chunk size (times `1 + chunksAhead` in batch mode),
   * not the item count. @default 1,000 (at most 100,000)
   */
  chunkSize?: number;
  /**
   * In batch mode, for items given as an iterable: how many chunks past the
   * one running are read, journaled and submitted as batches before it ends,
   * so up to `1 + chunksAhead` batches are processed by the API at once
   * (with 0, each batch is submitted once the one before has ended: a map of
   * N chunks waits N batch latencies). Chunks still run in order, and each
   * chunk ahead is held in memory (its requests, then its results) until it
   * runs. Interactive mode reads one chunk at a time. @default 1 (at most 100)
   */
  chunksAhead?: number;
  /**
   * For items given as an iterable: `false` keeps no per-item result in
   * memory, so memory is bounded by the chunk size whatever the item count
   * (each compact result kept otherwise is about 1 kB). Each result still
   * goes to the journal (read them with `loadRun`) and to `onResult`; the
   * run result's `subtasks` is empty and its `counts` says how many ended in
   * each status. Not with `reduce` or `synthesize`, which read every result.
   * @default true
   */
  keepResults?: boolean;
  /**
   * Called with each item's whole result as it finishes (awaited: a slow
   * callback holds that subtask's slot), after the journal has it.
   */
  onResult?: (result: SubtaskResult<TData>) => void | Promise<void>;
}

/** Checks a map's `keepResults`: `false` only for a streamed map that needs no answer from every result. */
function checkKeepResults(
  options: { keepResults?: unknown; reduce?: unknown; synthesize?: unknown },
  array: boolean,
): boolean {
  const { keepResults } = options;
  if (keepResults === undefined || keepResults === true) return true;
  if (keepResults !== false) throw invalidOption('keepResults', 'a boolean', keepResults);
  if (array)
    throw invalidOption(
      'keepResults',
      'true (or absent) for items given as an array, which are in memory already; pass an iterable to stream them',
      keepResults,
    );
  if (options.reduce !== undefined || options.synthesize === true)
    throw invalidOption(
      'keepResults',
      'true (or absent) with `reduce` or `synthesize: true`, which read every result; use `onResult` to fold them as they finish',
      keepResults,
    );
  return false;
}

function checkJob(job: unknown): string {
  if (typeof job !== 'string' || job.trim().length === 0)
    throw invalidOption('job', 'a non-empty string describing the work', job);
  return job.trim();
}

/**
 * The Haiku-army pattern end to end: a planner decomposes the job, a pool
 * of cheap workers runs the subtasks (the router choosing each model), only
 * summaries travel back up, a synthesizer writes the answer, and the result
 * carries the whole cost tree. Create it with {@link createArmy}.
 */
export class Army {
  readonly #options: ResolvedArmyOptions;

  constructor(options: ArmyOptions = {}) {
    this.#options = resolveArmyOptions(options);
    instrumentArmyEvents(this.#options.gateway.events);
  }

  /** The gateway every call goes through (given or built). */
  get gateway(): ModelGateway {
    return this.#options.gateway;
  }

  /** The ledger every call is recorded in. */
  get ledger(): CostLedger {
    return this.#options.gateway.ledger;
  }

  /** The typed emitter: `run:*`, `plan:ready`, `task:*`, `call:*`, `budget:*`. */
  get events(): ArmyEvents {
    return this.#options.gateway.events;
  }

  /** A run's `mode` option, checked (a batch run needs a gateway that batches). */
  #mode(options: RunOptions): Pick<RunSpec<unknown>, 'mode'> {
    const mode = checkMode(options.mode);
    if (mode === 'batch') requireBatchGateway(this.#options.gateway);
    return mode === undefined ? {} : { mode };
  }

  #start<TAnswer>(build: () => RunSpec<TAnswer>, replay = true): RunHandle<TAnswer> {
    const runId = this.#options.generateId();
    return new RunHandle<TAnswer>(
      runId,
      this.events,
      async () => {
        const spec = build();
        return new RunExecution<TAnswer>(this.#options, spec, runId).run();
      },
      { replay },
    );
  }

  /**
   * Plans the job, runs the subtasks and synthesizes the answer. Await the
   * handle for the {@link RunResult}, or iterate it for the run's events.
   * @example const result = await army.run('find every place that retries an API call');
   */
  run(job: string, options: RunOptions = {}): RunHandle {
    return this.#start(() => ({
      job: checkJob(job),
      planRounds: true,
      synthesize: true,
      signal: options.signal,
      ...this.#mode(options),
      ...(options.cache === false ? { cache: false } : {}),
    }));
  }

  /** The same as {@link Army.run}, named for callers who iterate the events. */
  stream(job: string, options: RunOptions = {}): RunHandle {
    return this.run(job, options);
  }

  /**
   * Finishes a run from its journal (after a crash, a kill, a cancel or a
   * budget stop), under the same run id: the journaled ledger entries go
   * back into the ledger and the budget (so the cost tree and the caps
   * include the earlier spend), every finished subtask keeps its result,
   * only the unfinished ones run again (an interrupted one from attempt 1),
   * and the run ends with synthesis as it would have. A run that had ended
   * on its own (`done`, `partial`, `failed`) runs nothing: its journaled
   * result is returned as it is.
   *
   * @throws ArmyError `RUN_NOT_FOUND` (listing the known ids), `JOURNAL_INCOMPATIBLE`, or `INVALID_OPTIONS` with `journal: false`
   * @example const result = await army.resume(runId);
   */
  resume<TAnswer = string>(
    runId: string,
    options: ResumeOptions<TAnswer> = {},
  ): RunHandle<TAnswer> {
    const handle: RunHandle<TAnswer> = new RunHandle<TAnswer>(runId, this.events, async () => {
      // Checked before the journal is read, whatever the run turns out to be.
      checkChunksAhead(options.chunksAhead);
      const root = this.#options.journal;
      if (root === undefined)
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          "army.resume reads the run's journal, but this army has `journal: false`; create it with the `journal` directory the run wrote to.",
        );
      const state = await openJournal(root, runId, this.#options.logger, { forResume: true });
      if (state.end && FINISHED_RUN_STATUSES.has(state.end.status))
        return restoreJournaledResult(state) as RunResult<TAnswer>;
      const spec = prepareResume(state, this.#options, options);
      // A streamed map's handle keeps no per-item event buffer (see RunHandle).
      if (spec.stream) handle[STOP_REPLAY]();
      return new RunExecution<TAnswer>(this.#options, spec, runId).run();
    });
    return handle;
  }

  /** Calls the planner only and returns the validated plan. @throws PlanInvalidError */
  async plan(job: string, options: RunOptions = {}): Promise<Plan> {
    const checked = checkJob(job);
    const spec: RunSpec<string> = {
      job: checked,
      planRounds: false,
      synthesize: false,
      signal: options.signal,
    };
    const execution = new RunExecution<string>(
      { ...this.#options, rounds: 1 },
      spec,
      this.#options.generateId(),
    );
    return execution.planOnly();
  }

  /** Runs a plan (written by hand, or from {@link Army.plan}) without calling the planner for it. @throws PlanInvalidError */
  runPlan(plan: PlanInput, options: RunPlanOptions = {}): RunHandle {
    return this.#start(() => {
      const { plan: valid, issues } = validatePlan(plan, {
        maxSubtasks: this.#options.maxSubtasks,
      });
      if (!valid) throw new PlanInvalidError(issues, 'The given plan');
      const job =
        options.job !== undefined
          ? checkJob(options.job)
          : valid.reasoning.trim() || valid.subtasks.map((subtask) => subtask.title).join('; ');
      return {
        job,
        plan: valid,
        planRounds: true,
        synthesize: true,
        signal: options.signal,
        ...this.#mode(options),
        ...(options.cache === false ? { cache: false } : {}),
      };
    });
  }

  /**
   * One subtask per item, no planner call: for fan-outs whose shape is known.
   * The answer comes from `reduce(results)`, or the synthesizer with `synthesize: true`.
   * `items` is an array (checked whole before anything runs), or an
   * iterable or async iterable (a generator, a readline interface over a
   * file), which is streamed: read, checked, journaled and run `chunkSize`
   * items at a time (in batch mode, one Message Batch per chunk), so memory
   * is bounded by the chunk size; its result is compact (see
   * {@link RunResult.streamed}) and `army.resume(runId, { items, brief })`
   * reads on after a crash.
   * @example await army.map(files, (file) => `List the exports of ${file}.`, { output: z.object({ exports: z.array(z.string()) }) });
   */
  map<TItem, TData = unknown, TAnswer = string>(
    items: MapItems<TItem>,
    brief: (item: TItem, index: number) => Brief | string,
    options: MapOptions<TData, TAnswer, TItem> = {},
  ): RunHandle<TAnswer> {
    return this.#start<TAnswer>(() => {
      if (!Array.isArray(items) && !isItemIterable(items))
        throw invalidOption('items', 'a non-empty array, or an iterable or async iterable', items);
      if (Array.isArray(items) && items.length === 0)
        throw invalidOption('items', 'a non-empty array', items);
      if (typeof brief !== 'function')
        throw invalidOption('brief', 'a function (item, index) => Brief | string', brief);
      if (options.output !== undefined && !(options.output instanceof z.ZodType))
        throw invalidOption('output', 'a zod 4 schema', options.output);
      if (options.id !== undefined && typeof options.id !== 'function')
        throw invalidOption('id', 'a function (item, index) => string', options.id);
      if (options.onResult !== undefined && typeof options.onResult !== 'function')
        throw invalidOption('onResult', 'a function (result) => void', options.onResult);
      const keepResults = checkKeepResults(options, Array.isArray(items));
      const mode = this.#mode(options);
      const rule = { brief, id: options.id } as MapItemRule<unknown>;
      const answer = {
        synthesize: options.synthesize ?? false,
        signal: options.signal,
        ...mode,
        ...(options.cache === false ? { cache: false } : {}),
        ...(options.output ? { output: options.output } : {}),
        ...(options.reduce ? { reduce: options.reduce as RunSpec<TAnswer>['reduce'] } : {}),
        ...(options.onResult ? { onResult: options.onResult as RunSpec<TAnswer>['onResult'] } : {}),
      };
      if (!Array.isArray(items))
        return {
          job: options.job ?? 'Map over streamed items',
          planRounds: false,
          ...answer,
          stream: {
            source: new ItemSource(items as Iterable<unknown> | AsyncIterable<unknown>),
            rule,
            chunkSize: checkChunkSize(options.chunkSize),
            chunksAhead: checkChunksAhead(options.chunksAhead),
            keepResults,
            chunks: [],
          },
        };
      const subtasks = mapSubtasks(items, 0, rule);
      const { plan, issues } = validatePlan(
        { reasoning: '', subtasks },
        { maxSubtasks: Number.MAX_SAFE_INTEGER },
      );
      if (!plan) throw new PlanInvalidError(issues, 'The mapped plan');
      return {
        job: options.job ?? `Map over ${items.length} items`,
        plan,
        planRounds: false,
        ...answer,
      };
    }, Array.isArray(items));
  }
}

/**
 * Creates an army. Options are validated now: a bad value throws an
 * `ArmyError` naming it (`INVALID_OPTIONS`, or `UNKNOWN_MODEL` for a model id).
 *
 * @example
 * const army = createArmy({ baseURL: fake.url, tools: codebaseTools({ root: '.' }), budget: { run: usd(2) } });
 * const result = await army.run('find every place that retries an API call');
 */
export function createArmy(options: ArmyOptions = {}): Army {
  return new Army(options);
}

/** Options of {@link resumeRun}: the army's options, the run to finish, and its cancellation. */
export type ResumeRunOptions<TAnswer = string> = ArmyOptions &
  Omit<ResumeOptions<TAnswer>, 'signal'> & {
    /** The run to finish. */
    runId: string;
    /** Cancels the resumed run. */
    signal?: AbortSignal;
  };

/**
 * Finishes an interrupted run in a fresh process: an army with `options`
 * (the same ones the run had, with its `journal`) resumes `runId`. See
 * {@link Army.resume}.
 *
 * @example const result = await resumeRun({ runId, journal: '.army/runs', baseURL, budget: { run: usd(2) } });
 */
export function resumeRun<TAnswer = string>(
  options: ResumeRunOptions<TAnswer>,
): RunHandle<TAnswer> {
  if (!options || typeof options !== 'object')
    throw invalidOption('options', 'an options object with `runId`', options);
  const { runId, signal, output, reduce, onResult, items, brief, id, chunksAhead, ...armyOptions } =
    options;
  return new Army(armyOptions).resume<TAnswer>(runId, {
    ...(signal ? { signal } : {}),
    ...(items !== undefined ? { items } : {}),
    ...(brief !== undefined ? { brief } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(output ? { output } : {}),
    ...(reduce ? { reduce } : {}),
    ...(onResult ? { onResult } : {}),
    ...(chunksAhead !== undefined ? { chunksAhead } : {}),
  });
}

export type { RunResult };
