import {
  AbortError,
  ArmyError,
  BudgetExceededError,
  ERROR_CODES,
  invalidOption,
  type ModelGateway,
} from '@haiku-army/core';
import {
  DEFAULT_SUMMARY_TOKEN_CAP,
  type SubtaskDependencies,
  WorkerPool,
} from '@haiku-army/worker';
import type { BackendRun } from '../army-backend.js';
import type { Artifact } from '../army-options.js';
import { PlanInvalidError } from '../errors.js';
import {
  type Plan,
  type PlanSubtask,
  planSchema,
  type RoundPlan,
  roundPlanSchema,
} from '../plan.js';
import type { RoutePick } from '../router-types.js';
import {
  type RunResult,
  type RunStatus,
  type SubtaskCounts,
  type SubtaskOutcome,
  type SubtaskResult,
  zeroCounts,
} from '../run-result.js';
import { type RunModeSetup, setUpRunMode } from './batch-mode.js';
import { compactResult } from './compact-result.js';
import { buildRunCost, cacheHitRate } from './cost-tree.js';
import { notRunResult, runDag } from './dag-scheduler.js';
import { describeOptions, describeSpec } from './describe-run.js';
import { isFinishedStandIn } from './finished-stand-in.js';
import { callPlanner } from './planner.js';
import {
  plannerSystem,
  plannerUser,
  repairMessage,
  roundMessage,
  SYNTHESIZER_SYSTEM,
  synthesizerUser,
} from './prompts.js';
import { RateLimitWatch } from './rate-limit-watch.js';
import type { ResolvedArmyOptions } from './resolve-army-options.js';
import { RunCache } from './run-cache.js';
import { RunGateway } from './run-gateway.js';
import { createRunPool, linkSignals } from './run-pool.js';
import type { JournaledRun, RunSpec } from './run-spec.js';
import { firstAttempt, runSubtask, type SubtaskRunContext } from './run-subtask.js';
import { runStreamedMap } from './streamed-map.js';
import { synthesize } from './synthesize.js';

const BACKEND_UNAVAILABLE = ERROR_CODES.BACKEND_UNAVAILABLE;

/** Subtasks a chunk prepares at once to send their first calls ahead (each may read the result cache). */
const SEND_AHEAD_LOOKUPS = 64;

/** One run of the army, from its plan to its result. */
export class RunExecution<TAnswer> {
  readonly #options: ResolvedArmyOptions;
  readonly #spec: RunSpec<TAnswer>;
  readonly #runId: string;
  readonly #gateway: RunGateway;
  readonly #signal: AbortSignal;
  readonly #results = new Map<string, SubtaskResult>();
  readonly #subtasks: PlanSubtask[] = [];
  /** A streamed map's subtask ids, in item order (its subtasks are not kept). */
  readonly #itemIds: string[] = [];
  /** Whether finished results stay in `#results` (not for a streamed map with `keepResults: false`). */
  readonly #keep: boolean;
  /** Finished subtasks by status (kept or not). */
  readonly #counts: SubtaskCounts = zeroCounts();
  /** The first finished subtask that failed. */
  #firstFailed: string | undefined;
  /**
   * Subtasks routed ahead of their run (taken when each runs): the router's
   * pick for attempt 1, whether its first call was sent ahead in a batch,
   * and the cache key they were looked up under (and missed) just before.
   */
  readonly #routed = new Map<
    string,
    { pick: RoutePick; sentAhead: boolean; key: string | undefined }
  >();
  #budgetError: BudgetExceededError | undefined;
  /** The run's backend became unreachable: nothing more starts, and the run ends resumable (`cancelled`). */
  #backendError: ArmyError | undefined;
  #reasoning = '';
  /** Artifacts listed before the run started (the source may be shared with earlier runs). */
  #artifactsBefore = 0;
  /** The result cache for this run, when on. */
  readonly #cache: RunCache | undefined;
  /** Files restored for reused subtasks, by subtask. */
  readonly #reusedArtifacts = new Map<string, Artifact[]>();

  constructor(options: ResolvedArmyOptions, spec: RunSpec<TAnswer>, runId: string) {
    this.#options = options;
    this.#spec = spec;
    this.#runId = runId;
    this.#gateway = new RunGateway(options.gateway, runId, {
      recorder: options.recorder,
      now: options.now,
      ...(spec.resume ? { recorded: spec.resume.entryIds } : {}),
      ...(spec.stream ? { timelineWorkers: false } : {}),
    });
    // Taken into the gateway's own set: not held twice for the whole run.
    if (spec.resume) spec.resume.entryIds = [];
    this.#signal = linkSignals([spec.signal, options.signal]);
    this.#keep = spec.stream?.keepResults ?? true;
    this.#cache =
      options.cache && spec.cache !== false
        ? new RunCache(options.cache, options, runId, this.#gateway, this.#signal)
        : undefined;
  }

  get #army(): ModelGateway {
    return this.#options.gateway;
  }

  async run(): Promise<RunResult<TAnswer>> {
    const options = this.#options;
    const runId = this.#runId;
    const journaled = this.#spec.journaled;
    const now = options.now();
    const startedAt = journaled?.startedAt ?? now;
    const events = this.#army.events;
    this.#artifactsBefore = options.artifacts?.artifacts().length ?? 0;
    const setup = setUpRunMode(options, this.#spec, {
      runId,
      gateway: this.#gateway,
      signal: this.#signal,
      startedAt,
    });
    let backendRun: BackendRun | undefined;
    let closeError: unknown;
    try {
      backendRun = await this.#openBackend(setup);
      await options.recorder.runStarted?.({
        runId,
        job: this.#spec.job,
        startedAt: now,
        options: {
          ...describeOptions(options),
          concurrency: setup.concurrency,
          mode: setup.mode,
        },
        spec: describeSpec(this.#spec),
        ...(this.#spec.resume ? { resumed: true as const } : {}),
      });
    } catch (error) {
      // A journal that cannot be written stops the run before it spends anything.
      await backendRun?.close();
      await setup.collector?.close();
      await this.#gateway.close();
      throw error;
    }
    events.emit('run:start', { runId, job: this.#spec.job });
    const watch = new RateLimitWatch(this.#army.events, options.now);
    const pool = createRunPool(options, setup, this.#gateway, runId, this.#signal);
    let status: RunStatus | undefined;
    let error: Error | undefined;
    let rejection: Error | undefined;
    let answer: TAnswer | undefined;
    let rounds = 0;
    let answering = false;
    try {
      let failedFast = this.#restore(journaled);
      if (this.#spec.stream) {
        rounds = 1;
        failedFast = await this.#runStreamed(failedFast, backendRun ?? pool, watch, setup);
      }
      for (let round = 1; !this.#spec.stream; round++) {
        const adopted = journaled?.plans.find((record) => record.round === round);
        let next: PlanSubtask[];
        if (adopted)
          next = adopted.plan.subtasks.filter((subtask) => !this.#results.has(subtask.id));
        else {
          const full = this.#results.size >= options.maxSubtasks;
          if (
            round > 1 &&
            (failedFast ||
              this.#halted() ||
              round > options.rounds ||
              !this.#spec.planRounds ||
              full)
          )
            break;
          const planned =
            round === 1 ? (this.#spec.plan ?? (await this.#plan())) : await this.#nextRound(round);
          if (round === 1) this.#reasoning = planned.reasoning;
          if (planned.subtasks.length === 0) break;
          await this.#adopt(round, planned.subtasks);
          next = planned.subtasks;
        }
        rounds = round;
        if (failedFast) await this.#skipFailFast(round, next);
        else if (
          next.length > 0 &&
          (await this.#runRound(round, next, backendRun ?? pool, watch, setup))
        )
          failedFast = true;
      }
      status = this.#status(failedFast);
      answering = true;
      if (status === 'done' || status === 'partial') answer = await this.#answer();
    } catch (caught) {
      error = caught as Error;
      if (
        caught instanceof PlanInvalidError ||
        (caught instanceof ArmyError && caught.code === 'INVALID_OPTIONS')
      ) {
        // A caller's (or the planner's) mistake rejects the run, once it has ended properly.
        rejection = error;
        status = 'failed';
      } else if (caught instanceof BudgetExceededError) status = 'budget_exceeded';
      else if (caught instanceof AbortError || this.#signal.aborted) status = 'cancelled';
      // A synthesis that failed leaves the subtasks' results standing; any other failure fails the run.
      else status = answering && this.#anySucceeded() ? 'partial' : 'failed';
    } finally {
      pool.close();
      watch.close();
      // Merges the remote workers' ledger entries before the result and the journal read the ledger.
      closeError = await backendRun?.close().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      await setup.collector?.close();
      await this.#gateway.close();
    }
    // The remote workers' spend could not be merged: the run is not ended (its journal stays resumable).
    if (closeError !== undefined) throw closeError;
    if (!error && this.#budgetError) error = this.#budgetError;
    if (!error && this.#backendError) error = this.#backendError;
    const result = this.#result(status!, answer, error, rounds, startedAt);
    await options.recorder.runEnded?.(result as RunResult<unknown> as RunResult);
    this.#army.budget?.endRun(runId);
    events.emit('run:end', {
      runId,
      // Core's RunEndEvent lists fewer statuses than a RunResult has (see README).
      status: result.status as never,
      cost: result.cost.totals.total,
      ...(error ? { error } : {}),
    });
    if (rejection) throw rejection;
    return result;
  }

  /**
   * A resumed run starts from its journal: the kept results and every
   * adopted subtask. Returns whether a kept failure already stopped it under
   * fail-fast.
   */
  #restore(journaled: JournaledRun | undefined): boolean {
    if (!journaled) return false;
    const resume = this.#spec.resume;
    // A kept item that `#results` does not hold (keepResults: false) is a
    // stand-in in its journaled chunk: see finished in #runStreamed.
    for (const result of resume?.results ?? []) this.#takeResult(result);
    for (const outcome of resume?.outcomes ?? []) this.#count(outcome);
    // Taken: a long map's kept results are not held a second time for the whole run.
    if (resume) {
      resume.results = [];
      delete resume.outcomes;
    }
    for (const record of journaled.plans) {
      this.#subtasks.push(...record.plan.subtasks);
      if (record.round === 1) this.#reasoning = record.plan.reasoning;
      this.#army.events.emit('plan:ready', {
        runId: this.#runId,
        plan: { round: record.round, subtasks: record.plan.subtasks },
      });
    }
    return this.#options.failurePolicy === 'fail-fast' && this.#firstFailed !== undefined;
  }

  /** Takes note of a finished subtask: kept (compact, for a streamed map) or only counted. */
  #takeResult(result: SubtaskResult): void {
    if (this.#keep)
      this.#results.set(result.id, this.#spec.stream ? compactResult(result) : result);
    this.#count(result);
  }

  #count({ id, status }: SubtaskOutcome): void {
    this.#counts[status] += 1;
    if (status === 'failed') this.#firstFailed ??= id;
  }

  /** Runs one round's subtasks; returns whether one failed under fail-fast. */
  async #runRound(
    round: number,
    subtasks: PlanSubtask[],
    pool: SubtaskRunContext['pool'],
    watch: RateLimitWatch,
    setup: RunModeSetup,
  ): Promise<boolean> {
    const options = this.#options;
    const runId = this.#runId;
    const events = this.#army.events;
    const outcome = await runDag({
      subtasks,
      earlier: this.#results,
      round,
      concurrency: setup.concurrency,
      queue: options.readyQueue(runId),
      failurePolicy: options.failurePolicy,
      signal: this.#signal,
      stopReason: () =>
        this.#budgetError
          ? {
              code: 'BUDGET_EXCEEDED',
              reason: `the run's budget is spent (${this.#budgetError.message})`,
            }
          : this.#backendError
            ? { code: this.#backendError.code, reason: this.#backendError.message }
            : undefined,
      onReady: (subtask) => events.emit('task:queued', { runId, taskId: subtask.id }),
      // Calls sent ahead for subtasks of a stopped round are given up (their batch is cancelled).
      onAbort: (reason) => setup.collector?.abandonAhead(reason),
      execute: async (subtask, dependencies, signal) => {
        events.emit('task:start', { runId, taskId: subtask.id });
        const cache = this.#cache;
        const routed = this.#routed.get(subtask.id);
        this.#routed.delete(subtask.id);
        const key = routed
          ? routed.key
          : cache?.subtaskKey(subtask, dependencies, this.#spec.output);
        // A subtask sent ahead missed the cache then, and its first call is paid for; one
        // routed but not sent (its chunk ran after others stored results) looks again.
        if (cache && key !== undefined && !routed?.sentAhead) {
          const reused = await cache.reuseSubtask(key, subtask, round);
          if (reused) {
            // Only a reuse that restored files is kept (a streamed map's 100,000 reuses stay small).
            if (reused.artifacts.length > 0)
              this.#reusedArtifacts.set(subtask.id, reused.artifacts);
            return reused.result;
          }
        }
        // A first call sent ahead in a batch: the run starts once its result is in (and a run slot is free).
        const ahead = setup.collector?.ahead(subtask.id);
        if (ahead) await ahead;
        // A batch wave is complete once every running subtask waits on the collector.
        const leave = setup.collector?.enter(subtask.id);
        try {
          const result = await runSubtask(subtask, round, dependencies, {
            ...this.#subtaskContext(pool, watch, signal()),
            ...(routed ? { firstPick: { pick: routed.pick, sentAhead: routed.sentAhead } } : {}),
            ...(cache
              ? {
                  onDependencies: (recorded: SubtaskDependencies) =>
                    cache.recordDependencies(subtask.id, recorded),
                }
              : {}),
          });
          // A resumed run's lost create that could not be looked up (the API's
          // list down): the run stops as cancelled, so a later resume looks
          // again. In a first run such a subtask just fails (as any failed
          // call would), and the run goes on.
          if (result.code === ERROR_CODES.BATCH_MAYBE_SUBMITTED && this.#spec.resume) {
            this.#backendError ??= new ArmyError(
              ERROR_CODES.BATCH_MAYBE_SUBMITTED,
              result.reason ?? '',
            );
            return result;
          }
          if (!this.#budgetError) await cache?.storeSubtask(key, result);
          return result;
        } catch (error) {
          // An unreachable backend acknowledged nothing: the subtask is cancelled (re-run on resume), not failed.
          if (!(error instanceof ArmyError) || error.code !== BACKEND_UNAVAILABLE) throw error;
          this.#backendError ??= error;
          return notRunResult(subtask, round, 'cancelled', BACKEND_UNAVAILABLE, error.message);
        } finally {
          leave?.();
          cache?.forget(subtask.id);
        }
      },
      onFinished: (result) => this.#finished(result),
    });
    return outcome.failedFast !== undefined;
  }

  /** What running a subtask needs from this run. */
  #subtaskContext(
    pool: SubtaskRunContext['pool'],
    watch: RateLimitWatch,
    signal: AbortSignal,
  ): SubtaskRunContext {
    const options = this.#options;
    return {
      runId: this.#runId,
      gateway: this.#gateway,
      pool,
      router: options.router,
      events: this.#army.events,
      maxAttempts: options.maxAttempts,
      summaryTokenCap: options.summaryTokenCap ?? DEFAULT_SUMMARY_TOKEN_CAP,
      rateLimits: watch,
      rateLimitFallback: options.rateLimitFallback,
      rateLimitFallbackAfterMs: options.rateLimitFallbackAfterMs,
      output: this.#spec.output,
      signal,
      onRunBudgetExceeded: (budgetError) => {
        this.#budgetError ??= budgetError;
      },
    };
  }

  /**
   * A batch-mode chunk's first calls, sent ahead as one wave before its
   * subtasks run (see BatchCollector.sendAhead): each subtask's run then
   * starts only once its result is in, so a chunk of 10,000 is not 10,000
   * worker runs held in memory for the hours a batch may take. Subtasks the
   * result cache may answer, or whose first attempt cannot be known ahead
   * (the router throws or picks nothing, a `maxCost`, cache warming), run as
   * before: their calls join the waves as they are made. Returns false if
   * the budget could not reserve every call sent (those are made when their
   * subtask runs).
   */
  async #sendAhead(
    subtasks: readonly PlanSubtask[],
    pool: SubtaskRunContext['pool'],
    watch: RateLimitWatch,
    setup: RunModeSetup,
  ): Promise<boolean> {
    const collector = setup.collector;
    if (!collector || setup.mode !== 'batch' || !(pool instanceof WorkerPool)) return true;
    const context = this.#subtaskContext(pool, watch, this.#signal);
    const cache = this.#cache;
    const prepare = async (subtask: PlanSubtask) => {
      const key = cache?.subtaskKey(subtask, [], this.#spec.output);
      if (cache && key !== undefined && (await cache.hasSubtask(key))) return undefined;
      const first = await firstAttempt(subtask, context);
      if (!first) return undefined;
      let call: ReturnType<WorkerPool['firstCall']>;
      try {
        call = first.task && pool.firstCall(first.task);
      } catch {
        // A task the pool refuses: its run reports why.
        call = undefined;
      }
      return { subtask, call, pick: first.pick, key };
    };
    const ready: NonNullable<Awaited<ReturnType<typeof prepare>>>[] = [];
    // No more than the DAG runs at once (the rest run as before, their calls
    // joining waves as made), a few at a time: each may read the result cache.
    const ahead = subtasks.slice(0, setup.concurrency);
    for (let from = 0; from < ahead.length; from += SEND_AHEAD_LOOKUPS) {
      if (this.#halted()) return true;
      const prepared = await Promise.all(ahead.slice(from, from + SEND_AHEAD_LOOKUPS).map(prepare));
      for (const one of prepared) if (one) ready.push(one);
    }
    const refusedBefore = collector.stats.aheadRefused;
    const sent = collector.sendAhead(ready.flatMap((one) => (one.call ? [one.call] : [])));
    // Every pick is kept for its run, sent ahead or not: the router is asked once.
    for (const one of ready)
      this.#routed.set(one.subtask.id, {
        pick: one.pick,
        sentAhead: sent.has(one.subtask.id),
        key: one.key,
      });
    return collector.stats.aheadRefused === refusedBefore;
  }

  /** The run's backend, opened (`undefined`: the in-process pool runs the workers). */
  async #openBackend(setup: RunModeSetup): Promise<BackendRun | undefined> {
    const { backend } = this.#options;
    if (!backend) return undefined;
    if (setup.mode === 'batch')
      throw invalidOption(
        'mode',
        "'interactive' with a `backend` (batch mode runs in-process)",
        'batch',
      );
    const options = this.#options;
    return backend.open({
      runId: this.#runId,
      resumed: this.#spec.resume !== undefined,
      gateway: options.gateway,
      workerModel: options.workerModel,
      signal: this.#signal,
      ...(options.sharedPrefix !== undefined ? { sharedPrefix: options.sharedPrefix } : {}),
      ...((setup.limits ?? options.limits) ? { limits: setup.limits ?? options.limits } : {}),
      ...(options.summaryTokenCap !== undefined
        ? { summaryTokenCap: options.summaryTokenCap }
        : {}),
    });
  }

  /** A streamed map: its chunks, one after another (the next ones sent ahead), each a round-1 DAG of its own. */
  #runStreamed(
    failedFast: boolean,
    pool: SubtaskRunContext['pool'],
    watch: RateLimitWatch,
    setup: RunModeSetup,
  ): Promise<boolean> {
    const runId = this.#runId;
    return runStreamedMap({
      runId,
      stream: this.#spec.stream!,
      ids: this.#itemIds,
      // No id set for a long map's finished items: the journal gave each a stand-in.
      finished: (subtask) => isFinishedStandIn(subtask) || this.#results.has(subtask.id),
      failedFast,
      recorder: this.#options.recorder,
      halted: () => this.#halted(),
      onChunk: (subtasks) =>
        this.#army.events.emit('plan:ready', { runId, plan: { round: 1, subtasks } }),
      // Reading ahead is for batches (sent ahead as read); interactively a chunk would only wait in memory.
      ahead: setup.mode === 'batch' && setup.collector ? this.#spec.stream!.chunksAhead : 0,
      sendAhead: (subtasks) => this.#sendAhead(subtasks, pool, watch, setup),
      run: (subtasks) => this.#runRound(1, subtasks, pool, watch, setup),
      skip: (subtasks) => this.#skipFailFast(1, subtasks),
      abandon: () => setup.collector?.abandonAhead(),
    });
  }

  /** Subtask ids in plan (or item) order. */
  #ids(): string[] {
    return this.#spec.stream ? this.#itemIds : this.#subtasks.map((subtask) => subtask.id);
  }

  /** A resumed fail-fast run whose kept results hold a failure runs nothing more. */
  async #skipFailFast(round: number, subtasks: PlanSubtask[]): Promise<void> {
    const failed = this.#firstFailed!;
    for (const subtask of subtasks)
      await this.#finished(
        notRunResult(
          subtask,
          round,
          'skipped',
          'FAIL_FAST',
          `subtask "${failed}" failed and failurePolicy is fail-fast.`,
        ),
      );
  }

  /** The planner call alone (`army.plan`). */
  async planOnly(): Promise<Plan> {
    try {
      return await this.#plan();
    } finally {
      await this.#gateway.close();
    }
  }

  #halted(): boolean {
    return (
      this.#signal.aborted || this.#budgetError !== undefined || this.#backendError !== undefined
    );
  }

  #anySucceeded(): boolean {
    return this.#counts.done + this.#counts.partial > 0;
  }

  #status(failedFast: boolean): RunStatus {
    if (this.#signal.aborted) return 'cancelled';
    if (this.#budgetError) return 'budget_exceeded';
    if (this.#backendError) return 'cancelled';
    if (failedFast) return 'failed';
    const counts = this.#counts;
    const finished = Object.values(counts).reduce((sum, count) => sum + count, 0);
    if (counts.done === finished) return 'done';
    return this.#anySucceeded() ? 'partial' : 'failed';
  }

  async #plan(): Promise<Plan> {
    const options = this.#options;
    if (!this.#cache) return this.#callPlanner();
    const prompt = {
      model: options.planner,
      maxTokens: options.plannerMaxTokens,
      system: plannerSystem(options.tools, options.maxSubtasks),
      user: plannerUser(this.#spec.job, options.context, options.maxSubtasks),
    };
    return this.#cache.plan(prompt, () => this.#callPlanner());
  }

  async #callPlanner(): Promise<Plan> {
    const options = this.#options;
    return callPlanner({
      gateway: this.#gateway,
      runId: this.#runId,
      model: options.planner,
      maxTokens: options.plannerMaxTokens,
      system: plannerSystem(options.tools, options.maxSubtasks),
      user: plannerUser(this.#spec.job, options.context, options.maxSubtasks),
      schema: planSchema,
      validation: { maxSubtasks: options.maxSubtasks },
      repair: repairMessage,
      what: 'The planner’s plan',
      signal: this.#signal,
    });
  }

  async #nextRound(round: number): Promise<RoundPlan> {
    const options = this.#options;
    const known = new Set(this.#results.keys());
    const system = plannerSystem(options.tools, options.maxSubtasks);
    // In plan order, not finishing order: the same results make the same
    // prompt (its cache key, and the provider's prompt cache).
    const results = this.#ids().flatMap((id) => this.#results.get(id) ?? []);
    const user = roundMessage(
      this.#spec.job,
      round,
      options.rounds,
      results,
      options.maxSubtasks - known.size,
    );
    const validation = { maxSubtasks: options.maxSubtasks, known, allowEmpty: true };
    const call = () =>
      callPlanner({
        gateway: this.#gateway,
        runId: this.#runId,
        model: options.planner,
        maxTokens: options.plannerMaxTokens,
        system,
        user,
        schema: roundPlanSchema,
        validation,
        repair: repairMessage,
        what: `The planner’s round ${round} plan`,
        signal: this.#signal,
      });
    const next = this.#cache
      ? await this.#cache.roundPlan(
          round,
          { model: options.planner, maxTokens: options.plannerMaxTokens, system, user },
          validation,
          call,
        )
      : await call();
    return next.done ? { ...next, subtasks: [] } : next;
  }

  async #adopt(round: number, subtasks: PlanSubtask[]): Promise<void> {
    this.#subtasks.push(...subtasks);
    const plan: Plan = { reasoning: round === 1 ? this.#reasoning : '', subtasks };
    await this.#options.recorder.planAdopted?.({ runId: this.#runId, round, plan });
    this.#army.events.emit('plan:ready', { runId: this.#runId, plan: { round, subtasks } });
  }

  async #finished(result: SubtaskResult): Promise<void> {
    // A streamed map keeps a compact result in memory (or none); the journal gets the whole one.
    this.#takeResult(result);
    const recorder = this.#options.recorder;
    const source = this.#options.artifacts;
    const restored = this.#reusedArtifacts.get(result.id);
    if (restored && restored.length > 0)
      await recorder.artifactsWritten?.({
        runId: this.#runId,
        taskId: result.id,
        artifacts: restored,
      });
    else if (source && recorder.artifactsWritten) {
      const artifacts = this.#artifactsOf(source.artifacts().slice(this.#artifactsBefore), [
        result.id,
      ]);
      if (artifacts.length > 0)
        await recorder.artifactsWritten({ runId: this.#runId, taskId: result.id, artifacts });
    }
    // Journaled (and flushed) before the result is final: dependents start after this.
    await recorder.subtaskFinished?.({ runId: this.#runId, result });
    await this.#spec.onResult?.(result);
    this.#army.events.emit('task:end', {
      runId: this.#runId,
      taskId: result.id,
      status: result.status,
      cost: result.cost.total,
      ...(result.model !== undefined ? { model: result.model } : {}),
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(result.reason !== undefined ? { reason: result.reason } : {}),
    });
  }

  async #answer(): Promise<TAnswer | undefined> {
    // Without kept results there is nothing to answer from (`map` refuses `reduce` and `synthesize` then).
    if (!this.#keep) return undefined;
    const results = this.#ids().map((id) => this.#results.get(id)!);
    if (this.#spec.reduce) return this.#spec.reduce(results);
    if (!this.#spec.synthesize) return undefined;
    const usable = results.filter(
      (result) => result.status === 'done' || result.status === 'partial',
    );
    const missing = results.filter((result) => !usable.includes(result));
    const call = () =>
      synthesize({
        gateway: this.#gateway,
        runId: this.#runId,
        model: this.#options.synthesizer,
        maxTokens: this.#options.synthesizerMaxTokens,
        job: this.#spec.job,
        results: usable,
        missing,
        signal: this.#signal,
      });
    const cache = this.#cache;
    const prompt = {
      model: this.#options.synthesizer,
      maxTokens: this.#options.synthesizerMaxTokens,
      system: SYNTHESIZER_SYSTEM,
      user: synthesizerUser(this.#spec.job, usable, missing),
    };
    return (cache ? await cache.synthesis(prompt, call) : await call()) as TAnswer;
  }

  /** Artifacts of the given tasks, copied. */
  #artifactsOf(listed: readonly Artifact[], taskIds: Iterable<string>): Artifact[] {
    const known = new Set(taskIds);
    return listed
      .filter((artifact) => known.has(artifact.taskId))
      .map((artifact) => ({ taskId: artifact.taskId, path: artifact.path, bytes: artifact.bytes }));
  }

  #result(
    status: RunStatus,
    answer: TAnswer | undefined,
    error: Error | undefined,
    rounds: number,
    startedAt: number,
  ): RunResult<TAnswer> {
    const ids = this.#ids();
    // A resumed run's ledger holds the interrupted executions' entries too.
    // Streamed from the ledger: a 100,000-item map's entries are never all objects at once.
    const entries = this.#army.ledger.each({ runId: this.#runId });
    const cost = buildRunCost(entries, this.#spec.stream ? 'unlisted' : ids, this.#army.catalog);
    const journaled = this.#spec.journaled;
    const artifacts = [
      ...(journaled?.artifacts ?? []),
      ...[...this.#reusedArtifacts.values()].flat(),
      ...this.#artifactsOf(
        (this.#options.artifacts?.artifacts() ?? []).slice(this.#artifactsBefore),
        ids,
      ),
    ];
    return {
      runId: this.#runId,
      status,
      ...(answer !== undefined ? { answer } : {}),
      plan: { reasoning: this.#reasoning, subtasks: [...this.#subtasks] },
      rounds,
      subtasks: this.#keep ? ids.map((id) => this.#results.get(id)!).filter(Boolean) : [],
      ...(this.#spec.stream ? { counts: { ...this.#counts } } : {}),
      artifacts,
      cost,
      cacheHitRate: cacheHitRate(cost.tree.total),
      reused: cost.reused,
      savedByReuse: cost.savedByReuse,
      baseline: this.#army.ledger.baseline({ runId: this.#runId }, this.#options.planner),
      timeline: [
        // Journaled without a streamed map's worker calls (see journaledTimeline).
        ...(journaled?.timeline ?? []),
        ...this.#gateway.timeline,
      ].sort((a, b) => a.start - b.start),
      startedAt,
      endedAt: this.#options.now(),
      ...(error ? { error } : {}),
      ...(this.#spec.stream ? { streamed: true as const } : {}),
    };
  }
}
