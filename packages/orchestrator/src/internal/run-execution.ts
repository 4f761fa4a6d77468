import {
  AbortError,
  ArmyError,
  BudgetExceededError,
  estimateTextTokens,
  type ModelGateway,
} from '@haiku-army/core';
import { DEFAULT_SUMMARY_TOKEN_CAP, DEFAULT_WORKER_PREAMBLE, WorkerPool } from '@haiku-army/worker';
import type { Artifact } from '../army-options.js';
import { PlanInvalidError } from '../errors.js';
import {
  type Plan,
  type PlanSubtask,
  planSchema,
  type RoundPlan,
  roundPlanSchema,
} from '../plan.js';
import type { RunResult, RunStatus, SubtaskResult } from '../run-result.js';
import { setUpRunMode } from './batch-mode.js';
import { buildRunCost, cacheHitRate } from './cost-tree.js';
import { runDag } from './dag-scheduler.js';
import { callPlanner } from './planner.js';
import { plannerSystem, plannerUser, repairMessage, roundMessage } from './prompts.js';
import { RateLimitWatch } from './rate-limit-watch.js';
import type { ResolvedArmyOptions } from './resolve-army-options.js';
import { RunGateway } from './run-gateway.js';
import type { RunSpec } from './run-spec.js';
import { runSubtask } from './run-subtask.js';
import { synthesize } from './synthesize.js';

function linkSignals(signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 0) return new AbortController().signal;
  return present.length === 1 ? present[0]! : AbortSignal.any(present);
}

/**
 * Whether the workers' shared prefix (tools, preamble and `sharedPrefix`, up
 * to the worker's `cache_control` breakpoint) is long enough to be cached,
 * so warming pays.
 */
function prefixIsCacheable(options: ResolvedArmyOptions): boolean {
  if (options.sharedPrefix === undefined) return false;
  const model = options.gateway.catalog.get(options.workerModel);
  const tools = JSON.stringify(options.tools.map((tool) => tool.toApiTool()));
  const tokens = estimateTextTokens(
    `${DEFAULT_WORKER_PREAMBLE}\n${options.sharedPrefix}\n${tools}`,
    model.tier,
  );
  return tokens >= model.minCacheableTokens;
}

/** One run of the army, from its plan to its result. */
export class RunExecution<TAnswer> {
  readonly #options: ResolvedArmyOptions;
  readonly #spec: RunSpec<TAnswer>;
  readonly #runId: string;
  readonly #gateway: RunGateway;
  readonly #signal: AbortSignal;
  readonly #results = new Map<string, SubtaskResult>();
  readonly #subtasks: PlanSubtask[] = [];
  #budgetError: BudgetExceededError | undefined;
  #reasoning = '';

  constructor(options: ResolvedArmyOptions, spec: RunSpec<TAnswer>, runId: string) {
    this.#options = options;
    this.#spec = spec;
    this.#runId = runId;
    this.#gateway = new RunGateway(options.gateway, runId, {
      recorder: options.recorder,
      now: options.now,
    });
    this.#signal = linkSignals([spec.signal, options.signal]);
  }

  get #army(): ModelGateway {
    return this.#options.gateway;
  }

  async run(): Promise<RunResult<TAnswer>> {
    const options = this.#options;
    const runId = this.#runId;
    const startedAt = options.now();
    const events = this.#army.events;
    const artifactsBefore = options.artifacts?.artifacts().length ?? 0;
    const setup = setUpRunMode(options, this.#spec, {
      runId,
      gateway: this.#gateway,
      signal: this.#signal,
      startedAt,
    });
    await options.recorder.runStarted?.({
      runId,
      job: this.#spec.job,
      startedAt,
      options: {
        planner: options.planner,
        synthesizer: options.synthesizer,
        router: options.router.name,
        concurrency: setup.concurrency,
        mode: setup.mode,
        maxSubtasks: options.maxSubtasks,
        rounds: options.rounds,
        failurePolicy: options.failurePolicy,
        tools: options.tools.map((tool) => tool.name),
      },
    });
    events.emit('run:start', { runId, job: this.#spec.job });
    const watch = new RateLimitWatch(this.#army.events, options.now);
    const pool = new WorkerPool({
      gateway: setup.collector ?? this.#gateway,
      runId,
      model: options.workerModel,
      concurrency: setup.concurrency,
      taskEvents: false,
      tools: options.tools,
      warmCache: setup.warmCache ?? options.warmCache ?? prefixIsCacheable(options),
      transcripts: options.transcripts,
      generateId: options.generateId,
      now: options.now,
      signal: this.#signal,
      ...(options.sharedPrefix !== undefined ? { sharedPrefix: options.sharedPrefix } : {}),
      ...(setup.limits !== undefined ? { limits: setup.limits } : {}),
      ...(options.summaryTokenCap !== undefined
        ? { summaryTokenCap: options.summaryTokenCap }
        : {}),
    });
    let status: RunStatus | undefined;
    let error: Error | undefined;
    let answer: TAnswer | undefined;
    let rounds = 0;
    let answering = false;
    try {
      let failedFast = false;
      const first = this.#spec.plan ?? (await this.#plan());
      this.#reasoning = first.reasoning;
      let next: PlanSubtask[] = first.subtasks;
      for (let round = 1; next.length > 0; round++) {
        rounds = round;
        await this.#adopt(round, next);
        const outcome = await runDag({
          subtasks: next,
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
              : undefined,
          onReady: (subtask) => events.emit('task:queued', { runId, taskId: subtask.id }),
          execute: async (subtask, dependencies, signal) => {
            events.emit('task:start', { runId, taskId: subtask.id });
            // A batch wave is complete once every running subtask waits on the collector.
            const leave = setup.collector?.enter();
            try {
              return await runSubtask(subtask, round, dependencies, {
                runId,
                gateway: this.#gateway,
                pool,
                router: options.router,
                events,
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
              });
            } finally {
              leave?.();
            }
          },
          onFinished: (result) => this.#finished(result),
        });
        if (outcome.failedFast) failedFast = true;
        const full = this.#results.size >= options.maxSubtasks;
        if (
          failedFast ||
          this.#halted() ||
          round >= options.rounds ||
          !this.#spec.planRounds ||
          full
        )
          break;
        next = (await this.#nextRound(round + 1)).subtasks;
      }
      status = this.#status(failedFast);
      answering = true;
      if (status === 'done' || status === 'partial') answer = await this.#answer();
    } catch (caught) {
      if (
        caught instanceof PlanInvalidError ||
        (caught instanceof ArmyError && caught.code === 'INVALID_OPTIONS')
      ) {
        const cost = this.#army.ledger.spent({ runId });
        events.emit('run:end', { runId, status: 'failed', cost, error: caught });
        throw caught;
      }
      error = caught as Error;
      if (caught instanceof BudgetExceededError) status = 'budget_exceeded';
      else if (caught instanceof AbortError || this.#signal.aborted) status = 'cancelled';
      // A synthesis that failed leaves the subtasks' results standing; any other failure fails the run.
      else status = answering && this.#anySucceeded() ? 'partial' : 'failed';
    } finally {
      pool.close();
      watch.close();
      await setup.collector?.close();
      await this.#gateway.close();
    }
    if (!error && this.#budgetError) error = this.#budgetError;
    const result = this.#result(status!, answer, error, rounds, startedAt, artifactsBefore);
    await options.recorder.runEnded?.(result as RunResult<unknown> as RunResult);
    this.#army.budget?.endRun(runId);
    events.emit('run:end', {
      runId,
      // Core's RunEndEvent lists fewer statuses than a RunResult has (see README).
      status: result.status as never,
      cost: result.cost.totals.total,
      ...(error ? { error } : {}),
    });
    return result;
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
    return this.#signal.aborted || this.#budgetError !== undefined;
  }

  #anySucceeded(): boolean {
    return [...this.#results.values()].some(
      (result) => result.status === 'done' || result.status === 'partial',
    );
  }

  #status(failedFast: boolean): RunStatus {
    if (this.#signal.aborted) return 'cancelled';
    if (this.#budgetError) return 'budget_exceeded';
    if (failedFast) return 'failed';
    const results = [...this.#results.values()];
    if (results.every((result) => result.status === 'done')) return 'done';
    return this.#anySucceeded() ? 'partial' : 'failed';
  }

  async #plan(): Promise<Plan> {
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
    const next = await callPlanner({
      gateway: this.#gateway,
      runId: this.#runId,
      model: options.planner,
      maxTokens: options.plannerMaxTokens,
      system: plannerSystem(options.tools, options.maxSubtasks),
      user: roundMessage(
        this.#spec.job,
        round,
        options.rounds,
        [...this.#results.values()],
        options.maxSubtasks - known.size,
      ),
      schema: roundPlanSchema,
      validation: { maxSubtasks: options.maxSubtasks, known, allowEmpty: true },
      repair: repairMessage,
      what: `The planner’s round ${round} plan`,
      signal: this.#signal,
    });
    return next.done ? { ...next, subtasks: [] } : next;
  }

  async #adopt(round: number, subtasks: PlanSubtask[]): Promise<void> {
    this.#subtasks.push(...subtasks);
    const plan: Plan = { reasoning: round === 1 ? this.#reasoning : '', subtasks };
    await this.#options.recorder.planAdopted?.({ runId: this.#runId, round, plan });
    this.#army.events.emit('plan:ready', { runId: this.#runId, plan: { round, subtasks } });
  }

  async #finished(result: SubtaskResult): Promise<void> {
    this.#results.set(result.id, result);
    await this.#options.recorder.subtaskFinished?.({ runId: this.#runId, result });
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
    const results = this.#subtasks.map((subtask) => this.#results.get(subtask.id)!);
    if (this.#spec.reduce) return this.#spec.reduce(results);
    if (!this.#spec.synthesize) return undefined;
    const usable = results.filter(
      (result) => result.status === 'done' || result.status === 'partial',
    );
    return (await synthesize({
      gateway: this.#gateway,
      runId: this.#runId,
      model: this.#options.synthesizer,
      maxTokens: this.#options.synthesizerMaxTokens,
      job: this.#spec.job,
      results: usable,
      signal: this.#signal,
    })) as TAnswer;
  }

  #result(
    status: RunStatus,
    answer: TAnswer | undefined,
    error: Error | undefined,
    rounds: number,
    startedAt: number,
    artifactsBefore: number,
  ): RunResult<TAnswer> {
    const ids = this.#subtasks.map((subtask) => subtask.id);
    const entries = this.#army.ledger.entries({ runId: this.#runId });
    const cost = buildRunCost(entries, ids, this.#army.catalog);
    const known = new Set(ids);
    const artifacts: Artifact[] = (this.#options.artifacts?.artifacts() ?? [])
      .slice(artifactsBefore)
      .filter((artifact) => known.has(artifact.taskId))
      .map((artifact) => ({ taskId: artifact.taskId, path: artifact.path, bytes: artifact.bytes }));
    return {
      runId: this.#runId,
      status,
      ...(answer !== undefined ? { answer } : {}),
      plan: { reasoning: this.#reasoning, subtasks: [...this.#subtasks] },
      rounds,
      subtasks: ids.map((id) => this.#results.get(id)!).filter(Boolean),
      artifacts,
      cost,
      cacheHitRate: cacheHitRate(cost.tree.total),
      baseline: this.#army.ledger.baseline({ runId: this.#runId }, this.#options.planner),
      timeline: [...this.#gateway.timeline].sort((a, b) => a.start - b.start),
      startedAt,
      endedAt: this.#options.now(),
      ...(error ? { error } : {}),
    };
  }
}
