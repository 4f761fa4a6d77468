import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  addCost,
  type CallRole,
  type CostBreakdown,
  type LedgerEntry,
  type ModelGateway,
  zeroCost,
} from '@haiku-army/core';
import {
  checkDependencies,
  DEFAULT_SUMMARY_TOKEN_CAP,
  DEFAULT_WORKER_PREAMBLE,
  renderBrief,
  type SubtaskDependencies,
} from '@haiku-army/worker';
import * as z from 'zod';
import type { Artifact } from '../army-options.js';
import { cacheKey } from '../cache/cache-key.js';
import type { CachedKind, CachedResult, ResultCache } from '../cache/result-cache.js';
import { PLANNER_TASK_ID, SYNTHESIS_TASK_ID } from '../constants.js';
import {
  type Plan,
  type PlanSubtask,
  planSchema,
  type RoundPlan,
  roundPlanSchema,
} from '../plan.js';
import type { SubtaskResult } from '../run-result.js';
import { type ValidatePlanOptions, validatePlan, validateWith } from '../validate-plan.js';
import type { ResolvedArmyOptions } from './resolve-army-options.js';
import type { RunGateway } from './run-gateway.js';
import { briefFor } from './run-subtask.js';

/** Version of the key layout: bump it when what a key covers changes. */
const KEY_VERSION = 1;

/** A schema JSON Schema cannot express: its subtasks are not cached. */
const UNDESCRIBABLE = Symbol('undescribable');

/** A subtask result taken from the cache, with the files it restored. */
export interface ReusedSubtask {
  result: SubtaskResult;
  artifacts: Artifact[];
}

/** The part of a request a plan or synthesis key covers. */
export interface PromptParts {
  model: string;
  maxTokens: number;
  system: string;
  user: string;
}

function mergeDependencies(all: readonly SubtaskDependencies[]): SubtaskDependencies {
  return {
    reads: all.flatMap((deps) => deps.reads),
    queries: all.flatMap((deps) => deps.queries),
    writes: all.flatMap((deps) => deps.writes),
    untracked: [...new Set(all.flatMap((deps) => deps.untracked))],
  };
}

/**
 * One run's use of the result cache: the keys of its subtasks, plan and
 * synthesis; a lookup that re-checks a hit's recorded reads (and restores
 * its written files) before it is used; and the zero-cost `reused` ledger
 * entry of every reuse. Only finished (`done`) work is stored.
 */
export class RunCache {
  readonly #cache: ResultCache;
  readonly #options: ResolvedArmyOptions;
  readonly #runId: string;
  readonly #gateway: RunGateway;
  readonly #signal: AbortSignal;
  /** Dependencies recorded per subtask, over its attempts. */
  readonly #recorded = new Map<string, SubtaskDependencies[]>();
  /** Each output schema's JSON Schema (a streamed map asks for it once per item). */
  readonly #schemas = new WeakMap<z.ZodType, unknown>();

  constructor(
    cache: ResultCache,
    options: ResolvedArmyOptions,
    runId: string,
    gateway: RunGateway,
    signal: AbortSignal,
  ) {
    this.#cache = cache;
    this.#options = options;
    this.#runId = runId;
    this.#gateway = gateway;
    this.#signal = signal;
  }

  get #army(): ModelGateway {
    return this.#options.gateway;
  }

  /** What each attempt of `taskId` read, as the worker reported it. */
  recordDependencies(taskId: string, dependencies: SubtaskDependencies): void {
    const list = this.#recorded.get(taskId) ?? [];
    list.push(dependencies);
    this.#recorded.set(taskId, list);
  }

  /** Drops what was recorded for a subtask that will not be stored (idempotent). */
  forget(taskId: string): void {
    this.#recorded.delete(taskId);
  }

  /** The key of a subtask, or undefined (then it is not cached) when its output schema cannot be described or the router has no `fingerprint`. */
  subtaskKey(
    subtask: PlanSubtask,
    dependencies: readonly SubtaskResult[],
    output: z.ZodType | undefined,
  ): string | undefined {
    const options = this.#options;
    let outputSchema: unknown = null;
    if (output) {
      outputSchema = this.#schemas.get(output);
      if (outputSchema === undefined) {
        try {
          outputSchema = z.toJSONSchema(output, { io: 'input' });
        } catch {
          outputSchema = UNDESCRIBABLE;
        }
        this.#schemas.set(output, outputSchema);
      }
      if (outputSchema === UNDESCRIBABLE) return undefined;
    }
    // A router that cannot say what decides its picks makes every subtask
    // uncacheable: a reuse might come from a model it would no longer pick.
    const router = options.router.fingerprint;
    if (typeof router !== 'string') return undefined;
    return cacheKey({
      kind: 'subtask',
      version: KEY_VERSION,
      workers: router,
      // A router picks the model from these as well as the brief.
      complexity: subtask.complexity,
      tags: subtask.tags ?? [],
      preamble: options.preamble ?? DEFAULT_WORKER_PREAMBLE,
      tools: options.tools.map((tool) => tool.toApiTool()),
      sharedPrefix: options.sharedPrefix ?? null,
      brief: renderBrief(briefFor(subtask, dependencies), {
        summaryTokenCap: options.summaryTokenCap ?? DEFAULT_SUMMARY_TOKEN_CAP,
      }),
      output: outputSchema,
      limits: options.limits ?? null,
      maxAttempts: options.maxAttempts,
    });
  }

  /**
   * Whether a stored result may be reused for the key (`reuseSubtask` then
   * checks what it read): a subtask that may be reused is not sent ahead.
   */
  async hasSubtask(key: string): Promise<boolean> {
    return (await this.#lookup(key, 'subtask'))?.dependencies !== undefined;
  }

  async #lookup(key: string, kind: CachedKind): Promise<CachedResult | undefined> {
    try {
      const entry = await this.#cache.get(key);
      return entry?.kind === kind ? entry : undefined;
    } catch (error) {
      this.#options.logger.warn(
        `Result cache: lookup failed (${(error as Error).message}); running instead.`,
      );
      return undefined;
    }
  }

  async #store(entry: Omit<CachedResult, 'runId' | 'createdAt'>): Promise<void> {
    try {
      await this.#cache.put({ ...entry, runId: this.#runId, createdAt: this.#options.now() });
    } catch (error) {
      this.#options.logger.warn(
        `Result cache: could not store a ${entry.kind} result (${(error as Error).message}); the run goes on.`,
      );
    }
  }

  /** The zero-cost ledger entry of a reuse, handed to the run's recorder. */
  #recordReuse(
    taskId: string,
    role: CallRole,
    model: string,
    originalCost: CostBreakdown,
    extra: { attempt?: number; tags?: readonly string[] } = {},
  ): LedgerEntry {
    const entry = this.#army.ledger.record({
      attribution: {
        runId: this.#runId,
        taskId,
        role,
        attempt: extra.attempt ?? 1,
        ...(extra.tags ? { tags: [...extra.tags] } : {}),
      },
      model,
      usage: { input_tokens: 0, output_tokens: 0 },
      reused: { originalCost },
    });
    this.#gateway.adopt(entry);
    return entry;
  }

  /** Files the entry wrote: restored where missing; undefined when the folder holds different content. */
  async #restoreWrites(taskId: string, dependencies: SubtaskDependencies) {
    const last = new Map<string, { outDir: string; path: string; content: string }>();
    for (const write of dependencies.writes) last.set(join(write.outDir, write.path), write);
    const missing: [string, string][] = [];
    for (const [absolute, write] of last) {
      let existing: string | undefined;
      try {
        existing = await readFile(absolute, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
      }
      if (existing === undefined) missing.push([absolute, write.content]);
      else if (existing !== write.content) return undefined;
    }
    for (const [absolute, content] of missing) {
      await mkdir(dirname(absolute), { recursive: true });
      await writeFile(absolute, content, { flag: 'wx' });
    }
    return [...last.values()].map(
      (write): Artifact => ({
        taskId,
        path: write.path,
        bytes: Buffer.byteLength(write.content, 'utf8'),
      }),
    );
  }

  /** A valid stored result of the subtask, reused (its ledger entry recorded), or undefined. */
  async reuseSubtask(
    key: string,
    subtask: PlanSubtask,
    round: number,
  ): Promise<ReusedSubtask | undefined> {
    const entry = await this.#lookup(key, 'subtask');
    if (!entry?.dependencies) return undefined;
    let check: Awaited<ReturnType<typeof checkDependencies>>;
    try {
      check = await checkDependencies(entry.dependencies, {
        tools: this.#options.tools,
        signal: this.#signal,
        runId: this.#runId,
        taskId: subtask.id,
      });
    } catch {
      return undefined;
    }
    if (!check.valid) return undefined;
    let artifacts: Artifact[] | undefined;
    try {
      artifacts = await this.#restoreWrites(subtask.id, entry.dependencies);
    } catch {
      return undefined;
    }
    if (!artifacts) return undefined;
    const stored = entry.value as SubtaskResult;
    const lastAttempt = stored.attempts.at(-1);
    const model = stored.model ?? entry.model;
    this.#recordReuse(subtask.id, 'worker', model, entry.originalCost, {
      attempt: lastAttempt?.attempt ?? 1,
      ...(subtask.tags ? { tags: subtask.tags } : {}),
    });
    const result: SubtaskResult = {
      ...stored,
      id: subtask.id,
      title: subtask.title,
      round,
      dependsOn: [...subtask.dependsOn],
      attempts: stored.attempts.map((attempt) => ({ ...attempt, calls: 0, cost: zeroCost() })),
      transcriptIds: [],
      cost: zeroCost(),
      calls: 0,
      reused: { runId: entry.runId, originalCost: entry.originalCost },
    };
    return { result, artifacts };
  }

  /** Stores a subtask's result when it is `done` and every tool it called said what it read. */
  async storeSubtask(key: string | undefined, result: SubtaskResult): Promise<void> {
    const recorded = this.#recorded.get(result.id) ?? [];
    this.#recorded.delete(result.id);
    if (key === undefined || result.status !== 'done' || result.reused) return;
    if (this.#signal.aborted) return;
    const dependencies = mergeDependencies(recorded);
    if (dependencies.untracked.length > 0) return;
    await this.#store({
      kind: 'subtask',
      key,
      model: result.model ?? this.#options.workerModel,
      originalCost: result.cost,
      value: result,
      dependencies,
    });
  }

  /** The plan: reused when its key holds, else made by `call` and stored. */
  async plan(prompt: PromptParts, call: () => Promise<Plan>): Promise<Plan> {
    return this.#planned(
      await this.planKey(prompt),
      (value) => {
        const { plan } = validatePlan(value, { maxSubtasks: this.#options.maxSubtasks });
        return plan && planSchema.safeParse(plan).success ? plan : undefined;
      },
      call,
    );
  }

  /**
   * A follow-up round's plan (`rounds > 1`): reused when its prompt (the job
   * and every result so far) and what the tools see are unchanged, and it is
   * still valid against this run's results; else made by `call` and stored.
   */
  async roundPlan(
    round: number,
    prompt: PromptParts,
    validation: ValidatePlanOptions,
    call: () => Promise<RoundPlan>,
  ): Promise<RoundPlan> {
    return this.#planned(
      await this.planKey(prompt, round),
      (value) => validateWith(value, validation, roundPlanSchema).plan,
      call,
    );
  }

  /** A stored plan that `valid` accepts, reused; else one made by `call`, stored with what that call cost. */
  async #planned<T>(
    key: string,
    valid: (value: unknown) => T | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const entry = await this.#lookup(key, 'plan');
    const kept = entry ? valid(entry.value) : undefined;
    if (entry && kept) {
      this.#recordReuse(PLANNER_TASK_ID, 'planner', entry.model, entry.originalCost);
      return kept;
    }
    // Every round's planner calls are on one task: only this call's cost is this plan's.
    const before = this.#spentBy(PLANNER_TASK_ID);
    const plan = await call();
    const after = this.#spentBy(PLANNER_TASK_ID);
    await this.#store({
      kind: 'plan',
      key,
      model: this.#options.planner,
      originalCost: {
        input: after.input - before.input,
        output: after.output - before.output,
        cacheWrite: after.cacheWrite - before.cacheWrite,
        cacheRead: after.cacheRead - before.cacheRead,
        total: after.total - before.total,
      },
      value: plan,
    });
    return plan;
  }

  /** The synthesized answer: reused when its prompt is unchanged, else written by `call` and stored. */
  async synthesis(prompt: PromptParts, call: () => Promise<string>): Promise<string> {
    const key = this.synthesisKey(prompt);
    const reused = await this.reuseSynthesis(key);
    if (reused !== undefined) return reused;
    const answer = await call();
    if (!this.#signal.aborted) await this.storeSynthesis(key, answer);
    return answer;
  }

  /** The planner's key: its prompt and what the tools see of the workspace (their fingerprints). */
  async planKey(prompt: PromptParts, round = 1): Promise<string> {
    const fingerprints: [string, string][] = [];
    for (const tool of this.#options.tools)
      if (tool.fingerprint) fingerprints.push([tool.name, await tool.fingerprint(this.#signal)]);
    return cacheKey({
      kind: 'plan',
      version: KEY_VERSION,
      // Round 1's key is as before (existing caches stay valid).
      ...(round > 1 ? { round } : {}),
      ...prompt,
      maxSubtasks: this.#options.maxSubtasks,
      tools: this.#options.tools.map((tool) => tool.toApiTool()),
      fingerprints,
    });
  }

  synthesisKey(prompt: PromptParts): string {
    return cacheKey({ kind: 'synthesis', version: KEY_VERSION, ...prompt });
  }

  async reuseSynthesis(key: string): Promise<string | undefined> {
    const entry = await this.#lookup(key, 'synthesis');
    if (!entry || typeof entry.value !== 'string') return undefined;
    this.#recordReuse(SYNTHESIS_TASK_ID, 'synthesizer', entry.model, entry.originalCost);
    return entry.value;
  }

  async storeSynthesis(key: string, answer: string): Promise<void> {
    await this.#store({
      kind: 'synthesis',
      key,
      model: this.#options.synthesizer,
      originalCost: this.#spentBy(SYNTHESIS_TASK_ID),
      value: answer,
    });
  }

  /** What this run's billed calls of a task cost. */
  #spentBy(taskId: string): CostBreakdown {
    return this.#army.ledger
      .entries({ runId: this.#runId, taskId })
      .filter((entry) => !entry.reused)
      .reduce((total, entry) => addCost(total, entry.cost), zeroCost());
  }
}
