import { setMaxListeners } from 'node:events';
import {
  AbortError,
  type Attribution,
  addCost,
  addTokens,
  type CallOptions,
  type CostBreakdown,
  type GatewayRequest,
  type GatewayResponse,
  type LedgerEntry,
  LedgerStoreError,
  zeroCost,
  zeroTokens,
} from '@haiku-army/core';
import { buildWorkerRequest } from '../build-worker-request.js';
import { MAX_OUTPUT_TOKENS_LABEL, SUBMIT_RESULT_TOOL } from '../constants.js';
import {
  type DependencyRecorder,
  emptyDependencies,
  hashContent,
  renderToolValue,
  type SubtaskDependencies,
} from '../dependencies.js';
import type { WorkerTranscript } from '../transcript-store.js';
import type { WorkerResult } from '../worker-result.js';
import { linkedController, throwIfAborted } from './abort.js';
import { executeTool } from './execute-tool.js';
import {
  appendText,
  LAST_TURN_NOTICE,
  type MessageParam,
  type ResponseBlock,
  type ToolUseBlock,
  textOf,
  toParams,
} from './messages.js';
import type { PreparedTask } from './prepare-task.js';
import {
  type ContractOptions,
  type ContractState,
  judgePlainText,
  judgeSubmission,
  newContractState,
} from './result-contract.js';
import { type Outcome, Stop, stopOutcome, tokensOf, toStop } from './run-outcome.js';
import { streamCall } from './stream-call.js';
import { ToolErrorLog } from './tool-error-log.js';
import { runToolTurn } from './tool-turn.js';
import type { WorkerConfig } from './worker-config.js';

/**
 * The gateway's per-call options plus `maxTokensLabel` (core's
 * `CallOptions.maxTokensLabel`, being added in parallel): the name budget
 * errors give the output allowance. Widened here so the worker compiles
 * against a core without it; a core that has it reads it.
 */
type WorkerCallOptions = CallOptions & { signal: AbortSignal };

/**
 * The ledger entry an error carries: a billed call whose ledger store
 * failed (LedgerStoreError), or, per core's contract for client-aborted
 * streams, an AbortError with the call's estimated entry as `entry`.
 */
function entryOf(error: unknown): LedgerEntry | undefined {
  const source = error instanceof Stop ? error.error : error;
  if (source instanceof LedgerStoreError) return source.entry;
  if (source instanceof AbortError) {
    const entry = (source as { entry?: LedgerEntry }).entry;
    if (entry && typeof entry === 'object' && typeof entry.id === 'string') return entry;
  }
  return undefined;
}

/** Hooks a pool uses to watch and pace a run. */
export interface WorkerHooks {
  /**
   * Awaited before the run's first model call (cache warming); resolves
   * with a callback told whether that call got a response.
   */
  gateFirstCall?(signal: AbortSignal): Promise<(responded: boolean) => void>;
  /** Called with each billed call's ledger entry. */
  onCall?(entry: LedgerEntry): void;
}

/** Options of one run. */
export interface RunOptions {
  signal?: AbortSignal | undefined;
  /**
   * A controller made for this run alone (a pool's per-task cancel): the run
   * uses it as its own (and aborts it on timeout) instead of linking one more
   * to `signal`, which is then ignored.
   */
  controller?: AbortController | undefined;
  hooks?: WorkerHooks | undefined;
}

/** The attribution of every model call a run of `task` makes. */
export function workerAttribution(runId: string, task: PreparedTask['task']): Attribution {
  return {
    runId,
    taskId: task.id,
    role: 'worker',
    ...(task.parentTaskId !== undefined ? { parentTaskId: task.parentTaskId } : {}),
    ...(task.attempt !== undefined ? { attempt: task.attempt } : {}),
    ...(task.tags !== undefined ? { tags: [...task.tags] } : {}),
  };
}

/**
 * The request of a run's first model call, as its loop builds it: the brief
 * alone (with the last-turn notice when the task has one turn). Undefined
 * when the first call is not sure to be made as built: a `maxCost` check
 * comes before it.
 */
export function firstWorkerRequest(prepared: PreparedTask): GatewayRequest | undefined {
  const { limits, model, system, apiTools, briefText, cacheHistory } = prepared;
  if (limits.maxCost !== undefined) return undefined;
  const lastTurn = limits.maxTurns === 1;
  const brief: MessageParam = { role: 'user', content: briefText };
  if (lastTurn) appendText(brief, LAST_TURN_NOTICE);
  return buildWorkerRequest({
    model,
    maxOutputTokens: limits.maxOutputTokens,
    system,
    tools: apiTools,
    messages: [brief],
    lastTurn,
    cacheHistory,
  });
}

function ownController(controller: AbortController): ReturnType<typeof linkedController> {
  // Every concurrent tool call of a turn listens on it (see linkedController).
  setMaxListeners(0, controller.signal);
  return { controller, dispose: () => {} };
}

/**
 * One worker run: the tool loop and the result contract. Every model call
 * goes through the gateway attributed to the task; every billed entry is
 * added to the result, whatever way the run ends.
 */
export class WorkerRun {
  readonly #config: WorkerConfig;
  readonly #prepared: PreparedTask;
  readonly #options: RunOptions;
  readonly #attribution: Attribution;
  readonly #messages: MessageParam[] = [];
  readonly #contract: ContractState = newContractState();
  #turns = 0;
  #calls = 0;
  #toolCalls = 0;
  readonly #toolErrors = new ToolErrorLog();
  #usefulWork = false;
  #usage = zeroTokens();
  #cost: CostBreakdown = zeroCost();
  #lastText = '';
  #timedOut = false;
  #gated = false;
  #release: ((responded: boolean) => void) | undefined;
  readonly #counted = new Set<string>();
  /** What this run's tools read and wrote (see SubtaskDependencies). */
  readonly #dependencies: SubtaskDependencies = emptyDependencies();

  constructor(config: WorkerConfig, prepared: PreparedTask, options: RunOptions = {}) {
    this.#config = config;
    this.#prepared = prepared;
    this.#options = options;
    this.#attribution = workerAttribution(config.runId, prepared.task);
  }

  async run(): Promise<WorkerResult> {
    const startedAt = this.#config.now();
    const { controller, dispose } = this.#options.controller
      ? ownController(this.#options.controller)
      : linkedController(this.#options.signal);
    const { timeoutMs } = this.#prepared.limits;
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          if (controller.signal.aborted) return; // cancelled first: that is not a timeout
          this.#timedOut = true;
          controller.abort(new AbortError(`The worker ran longer than ${timeoutMs} ms.`));
        }, timeoutMs)
      : undefined;
    let outcome: Outcome;
    try {
      outcome = await this.#loop(controller.signal);
    } catch (error) {
      outcome = this.#stopped(error, controller.signal);
    } finally {
      clearTimeout(timer);
      dispose();
      this.#releaseGate(false);
    }
    return this.#finish(outcome, startedAt);
  }

  async #loop(signal: AbortSignal): Promise<Outcome> {
    const { limits, model, system, apiTools, briefText, cacheHistory, stream } = this.#prepared;
    this.#messages.push({ role: 'user', content: briefText });
    for (;;) {
      throwIfAborted(signal);
      if (this.#turns >= limits.maxTurns) throw this.#maxTurns();
      const used = tokensOf(this.#usage);
      if (used >= limits.maxTokens)
        throw new Stop('MAX_TOKENS', `Used ${used} tokens; the limit is ${limits.maxTokens}.`);
      const lastTurn = this.#turns === limits.maxTurns - 1;
      if (lastTurn) appendText(this.#messages.at(-1)!, LAST_TURN_NOTICE);
      const request = buildWorkerRequest({
        model,
        maxOutputTokens: limits.maxOutputTokens,
        system,
        tools: apiTools,
        messages: this.#messages,
        lastTurn,
        cacheHistory,
      });
      if (limits.maxCost !== undefined) {
        // A streamed call is stopped as its output passes the cap, so only
        // its input (and one output token) must fit before it is sent.
        const worst = this.#config.gateway.worstCase(
          stream ? { ...request, max_tokens: 1 } : request,
        );
        if (this.#cost.total + worst > limits.maxCost)
          throw new Stop(
            'MAX_COST',
            `The next call could cost up to ${worst} nano-USD${stream ? ' before its output' : ''}; with ${this.#cost.total} spent that would pass the worker's maxCost of ${limits.maxCost}.`,
          );
      }
      const response = await this.#call(request, signal);
      const outcome = await this.#handle(
        response.message.content,
        response.message.stop_reason,
        signal,
        lastTurn,
      );
      if (outcome) return outcome;
    }
  }

  async #call(request: GatewayRequest, signal: AbortSignal): Promise<GatewayResponse> {
    const gate = this.#options.hooks?.gateFirstCall;
    if (gate && !this.#gated) {
      this.#gated = true;
      this.#release = await gate(signal);
    }
    this.#turns += 1;
    const callOptions: WorkerCallOptions = { signal, maxTokensLabel: MAX_OUTPUT_TOKENS_LABEL };
    let response: GatewayResponse;
    try {
      response = this.#prepared.stream
        ? await this.#stream(request, callOptions)
        : await this.#config.gateway.call(request, this.#attribution, callOptions);
    } catch (error) {
      this.#releaseGate(false);
      // Billed but not answered (a failing ledger store, a stream this run
      // aborted): the entry travels with the error.
      const entry = entryOf(error);
      if (entry) this.#count(entry);
      if (error instanceof Stop && error.summary) {
        this.#keepPartial(error.summary);
        throw new Stop(error.code, error.reason, error.error, error.summary.trim());
      }
      throw error;
    }
    this.#count(response.entry);
    this.#releaseGate(true);
    return response;
  }

  #stream(request: GatewayRequest, callOptions: WorkerCallOptions): Promise<GatewayResponse> {
    const { maxCost } = this.#prepared.limits;
    const spent = this.#cost.total;
    return streamCall(request, {
      gateway: this.#config.gateway,
      attribution: this.#attribution,
      model: this.#prepared.model,
      callOptions,
      ...(maxCost !== undefined ? { guard: { remaining: maxCost - spent, maxCost, spent } } : {}),
      // The cache entry the call writes is readable once its response has begun.
      onResponseStart: () => this.#releaseGate(true),
    });
  }

  /** Keeps the text of a call stopped mid-stream, in the transcript and as the run's last words. */
  #keepPartial(text: string): void {
    this.#messages.push({ role: 'assistant', content: [{ type: 'text', text }] });
    this.#lastText = text.trim();
  }

  #count(entry: LedgerEntry): void {
    if (this.#counted.has(entry.id)) return;
    this.#counted.add(entry.id);
    this.#calls += 1;
    this.#usage = addTokens(this.#usage, entry.usage);
    this.#cost = addCost(this.#cost, entry.cost);
    this.#options.hooks?.onCall?.(entry);
  }

  #releaseGate(responded: boolean): void {
    const release = this.#release;
    this.#release = undefined;
    release?.(responded);
  }

  async #handle(
    content: readonly ResponseBlock[],
    stopReason: string | null,
    signal: AbortSignal,
    lastTurn: boolean,
  ): Promise<Outcome | undefined> {
    this.#messages.push({ role: 'assistant', content: toParams(content) });
    const text = textOf(content);
    if (text) this.#lastText = text;
    if (stopReason === 'refusal')
      throw new Stop('REFUSED', 'The model declined the task (stop_reason "refusal").');
    const toolUses = content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
    const submit = toolUses.find((use) => use.name === SUBMIT_RESULT_TOOL);
    const contract: ContractOptions = {
      outputSchema: this.#prepared.outputSchema,
      summaryTokenCap: this.#config.summaryTokenCap,
      tier: this.#prepared.model.tier,
      state: this.#contract,
      final: lastTurn,
    };
    const verdict = submit
      ? await judgeSubmission(submit.input, contract)
      : toolUses.length === 0
        ? judgePlainText(text, stopReason, contract)
        : undefined;
    if (verdict?.kind === 'accept') return verdict.outcome;
    if (verdict?.kind === 'stop') throw verdict.stop;
    if (lastTurn) throw this.#maxTurns();
    if (toolUses.length === 0) {
      this.#messages.push({ role: 'user', content: verdict!.message });
      return undefined;
    }
    const results = await runToolTurn(toolUses, {
      execute: (use) => this.#runTool(use, signal),
      submitReply: verdict?.message,
      signal,
    });
    // In the turn's order (the calls ran concurrently and may end in any order).
    results.forEach((block, index) => {
      const use = toolUses[index]!;
      if (use.name !== SUBMIT_RESULT_TOOL && block.type === 'tool_result' && block.is_error)
        this.#toolErrors.add(use.name, typeof block.content === 'string' ? block.content : '');
    });
    this.#messages.push({ role: 'user', content: results });
    return undefined;
  }

  #maxTurns(): Stop {
    return new Stop(
      'MAX_TURNS',
      `Used all ${this.#prepared.limits.maxTurns} turns without an accepted ${SUBMIT_RESULT_TOOL}.`,
    );
  }

  async #runTool(use: ToolUseBlock, signal: AbortSignal) {
    this.#toolCalls += 1;
    const { tools } = this.#prepared;
    const tool = tools.get(use.name);
    const deps = this.#dependencies;
    let recorded = false;
    const dependencies: DependencyRecorder = {
      read: (file) => {
        recorded = true;
        deps.reads.push({ ...file });
      },
      query: ({ tool: name, input, result }) => {
        recorded = true;
        deps.queries.push({
          tool: name,
          input: structuredClone(input),
          resultHash: hashContent(renderToolValue(result)),
        });
      },
      wrote: (file) => {
        recorded = true;
        deps.writes.push({ ...file });
      },
    };
    const outcome = await executeTool(
      tool,
      use.name,
      use.input,
      {
        signal,
        runId: this.#config.runId,
        taskId: this.#prepared.task.id,
        toolUseId: use.id,
        dependencies,
      },
      this.#config.maxToolResultChars,
      [...tools.keys(), SUBMIT_RESULT_TOOL],
    );
    if (!outcome.isError) this.#usefulWork = true;
    // A call whose reads are unknown makes the result unreusable (a pure tool reads nothing).
    if (tool && !tool.pure && !(tool.recordsDependencies && recorded))
      if (!deps.untracked.includes(use.name)) deps.untracked.push(use.name);
    return outcome;
  }

  /** Turns whatever ended the loop into an outcome; spend so far stays on the result. */
  #stopped(error: unknown, signal: AbortSignal): Outcome {
    const stop = toStop(error, signal, this.#timedOut, this.#prepared.limits.timeoutMs);
    return stopOutcome(stop, {
      usefulWork: this.#usefulWork,
      lastText: this.#lastText,
      summaryTokenCap: this.#config.summaryTokenCap,
      tier: this.#prepared.model.tier,
    });
  }

  async #finish(outcome: Outcome, startedAt: number): Promise<WorkerResult> {
    const { task, model, system, tools } = this.#prepared;
    const transcriptId = this.#config.generateId();
    const result: WorkerResult = {
      taskId: task.id,
      status: outcome.status,
      summary: outcome.summary,
      ...(outcome.data !== undefined ? { data: outcome.data } : {}),
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      ...(outcome.code !== undefined ? { code: outcome.code } : {}),
      ...(outcome.summaryTruncated ? { summaryTruncated: true } : {}),
      usage: this.#usage,
      cost: this.#cost,
      turns: this.#turns,
      calls: this.#calls,
      toolCalls: this.#toolCalls,
      toolErrors: this.#toolErrors.count,
      toolErrorMessages: this.#toolErrors.messages,
      model: model.id,
      transcriptId,
      dependencies: this.#dependencies,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    };
    const transcript: WorkerTranscript = {
      id: transcriptId,
      runId: this.#config.runId,
      taskId: task.id,
      model: model.id,
      startedAt,
      endedAt: this.#config.now(),
      system: [...system],
      tools: [...tools.keys(), SUBMIT_RESULT_TOOL],
      messages: this.#messages,
      status: result.status,
      ...(result.code !== undefined ? { code: result.code } : {}),
      ...(result.reason !== undefined ? { reason: result.reason } : {}),
    };
    try {
      await this.#config.transcripts.save(transcript);
    } catch {
      // A failing transcript store must not lose the result or its cost.
    }
    return result;
  }
}
