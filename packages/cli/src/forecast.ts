import {
  estimateRequestTokens,
  type GatewayRequest,
  type ModelCatalog,
  type NanoUsd,
} from '@haiku-army/core';
import { inputBound, worstCaseCost } from '@haiku-army/core/internal';
import {
  type Complexity,
  MAX_QUOTED_DATA_CHARS,
  type Plan,
  type PlanSubtask,
} from '@haiku-army/orchestrator';
import {
  buildWorkerRequest,
  DEFAULT_WORKER_PREAMBLE,
  renderBrief,
  type Tool,
} from '@haiku-army/worker';
import type { CostHistory } from './cost-history.js';
import {
  EXPECTED_OUTPUT_TOKENS,
  EXPECTED_SYNTHESIS_OUTPUT_TOKENS,
  EXPECTED_SYNTHESIS_TOKENS_PER_SUBTASK,
  EXPECTED_TOOL_RESULT_TOKENS,
  EXPECTED_TURNS,
  LOW_OUTPUT_TOKENS,
  SUBMIT_TOOL_ALLOWANCE_TOKENS,
  SYNTHESIS_PROMPT_ALLOWANCE_TOKENS,
  SYNTHESIS_PROMPT_TOKENS,
  TURN_OVERHEAD_TOKENS,
} from './forecast-constants.js';

/** A cost range, nano-USD. */
export interface CostRange {
  low: NanoUsd;
  expected: NanoUsd;
  high: NanoUsd;
}

/** Where a forecast's expected value comes from. */
export type ForecastBasis = 'history' | 'heuristic';

/** One subtask's forecast. */
export interface SubtaskForecast extends CostRange {
  id: string;
  title: string;
  complexity: Complexity;
  model: string;
  /** Attempts the high end allows (a router that re-picks may retry an escalatable failure). */
  attempts: number;
  basis: ForecastBasis;
  /** Recorded subtasks the expected value averages, with `basis: 'history'`. */
  samples?: number;
}

/** The limits a worker runs under (the worker package's defaults unless the army sets others). */
export interface ForecastLimits {
  maxTurns: number;
  maxOutputTokens: number;
  /** Tokens (prompt + output) over all of a worker's calls; no call starts once reached. */
  maxTokens: number;
  maxToolResultChars: number;
  summaryTokenCap: number;
}

/** What a forecast needs. */
export interface ForecastInput {
  job: string;
  plan: Plan;
  catalog: ModelCatalog;
  tools: readonly Tool[];
  /** The model of a subtask's attempts. */
  modelOf(subtask: PlanSubtask): Promise<string>;
  /** Attempts a subtask may make. */
  attempts: number;
  synthesizer: string;
  synthesizerMaxTokens: number;
  limits: ForecastLimits;
  /** Recorded costs, when runs are journaled. */
  history?: CostHistory;
}

/** What running a plan will cost. */
export interface Forecast {
  subtasks: SubtaskForecast[];
  synthesis: CostRange & { model: string; basis: ForecastBasis; samples?: number };
  /** Every subtask plus the synthesis. */
  total: CostRange;
  basis: ForecastBasis;
}

/** A request's worst case at the dearest input price (a 1-hour cache write) for `inputTokens`. */
function dearest(catalog: ModelCatalog, model: string, maxTokens: number, inputTokens: number) {
  const request = {
    model,
    max_tokens: maxTokens,
    system: [{ type: 'text', text: '', cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [],
  } as unknown as GatewayRequest;
  return worstCaseCost(catalog.get(model), request, inputTokens);
}

/** The first request a worker sends for a subtask (the brief as the orchestrator renders it). */
function firstRequest(subtask: PlanSubtask, model: string, input: ForecastInput): GatewayRequest {
  return buildWorkerRequest({
    model: input.catalog.get(model),
    maxOutputTokens: input.limits.maxOutputTokens,
    system: [{ type: 'text', text: DEFAULT_WORKER_PREAMBLE }],
    tools: input.tools.map((tool) => tool.toApiTool()),
    messages: [
      {
        role: 'user',
        content: renderBrief(subtask.brief, { summaryTokenCap: input.limits.summaryTokenCap }),
      },
    ],
  });
}

/**
 * The most one attempt can bill: every turn taken, each adding the largest
 * output and one full tool result to the history, each call at the worst
 * case (every input token at the dearest input price, `max_tokens` of
 * output, long-context prices past the threshold), until the worker's token
 * cap stops it starting another call. Dependencies' quoted results count too.
 */
function attemptHigh(subtask: PlanSubtask, model: string, input: ForecastInput): NanoUsd {
  const { limits, catalog } = input;
  const info = catalog.get(model);
  const first = firstRequest(subtask, model, input);
  const quoted =
    subtask.dependsOn.length * (limits.summaryTokenCap * 16 + MAX_QUOTED_DATA_CHARS * 4);
  const base = inputBound(first).tokens + SUBMIT_TOOL_ALLOWANCE_TOKENS + quoted;
  const growth = limits.maxOutputTokens + limits.maxToolResultChars + TURN_OVERHEAD_TOKENS;
  let cost = 0;
  let used = 0;
  for (let turn = 0; turn < limits.maxTurns && used < limits.maxTokens; turn++) {
    const tokens = Math.min(info.contextWindow, base + turn * growth);
    cost += dearest(catalog, model, limits.maxOutputTokens, tokens);
    used += tokens + limits.maxOutputTokens;
  }
  return cost;
}

/** The heuristic range of one attempt: typical turns for the complexity, at list prices. */
function heuristic(subtask: PlanSubtask, model: string, input: ForecastInput) {
  const info = input.catalog.get(model);
  const first = estimateRequestTokens(firstRequest(subtask, model, input), info.tier);
  const prices = info.prices;
  const low = first * prices.input + LOW_OUTPUT_TOKENS * prices.output;
  let expected = 0;
  const turns = EXPECTED_TURNS[subtask.complexity] ?? EXPECTED_TURNS.moderate;
  for (let turn = 0; turn < turns; turn++) {
    const tokens = first + turn * (EXPECTED_TOOL_RESULT_TOKENS + EXPECTED_OUTPUT_TOKENS);
    expected += tokens * prices.input + EXPECTED_OUTPUT_TOKENS * prices.output;
  }
  return { low, expected };
}

function synthesisForecast(input: ForecastInput, subtasks: number): Forecast['synthesis'] {
  const { catalog, synthesizer, limits } = input;
  const info = catalog.get(synthesizer);
  const job = estimateRequestTokens(
    { messages: [{ role: 'user', content: input.job }] },
    info.tier,
  );
  const perSummary = limits.summaryTokenCap;
  const prices = info.prices;
  const typicalInput = SYNTHESIS_PROMPT_TOKENS + job + subtasks * perSummary;
  const heuristicRange = {
    low: (SYNTHESIS_PROMPT_TOKENS + job) * prices.input + LOW_OUTPUT_TOKENS * prices.output,
    expected:
      typicalInput * prices.input +
      (EXPECTED_SYNTHESIS_OUTPUT_TOKENS + subtasks * EXPECTED_SYNTHESIS_TOKENS_PER_SUBTASK) *
        prices.output,
  };
  // Every summary at its cap and every result's data quoted in full, as UTF-8 bytes.
  const worstInput =
    SYNTHESIS_PROMPT_ALLOWANCE_TOKENS +
    Buffer.byteLength(input.job) +
    subtasks * (perSummary * 16 + MAX_QUOTED_DATA_CHARS * 4 + TURN_OVERHEAD_TOKENS);
  const high = dearest(
    catalog,
    synthesizer,
    input.synthesizerMaxTokens,
    Math.min(info.contextWindow, worstInput),
  );
  const recorded = input.history?.synthesis(synthesizer);
  if (recorded)
    return {
      model: synthesizer,
      basis: 'history',
      samples: recorded.samples,
      low: Math.min(recorded.low, high),
      expected: Math.min(recorded.mean, high),
      high,
    };
  return {
    model: synthesizer,
    basis: 'heuristic',
    low: Math.min(heuristicRange.low, high),
    expected: Math.min(heuristicRange.expected, high),
    high,
  };
}

/**
 * Forecasts what running a plan costs, without running it: per subtask a
 * low / expected / high range and the same for the synthesis and in total.
 * `high` is a bound: the run of this plan under these limits cannot bill
 * more (a lost response the gateway retried aside). `expected` is the
 * recorded mean per complexity and model once runs are journaled, else a
 * heuristic from the complexity label and the brief's size.
 */
export async function forecastPlan(input: ForecastInput): Promise<Forecast> {
  const subtasks: SubtaskForecast[] = [];
  for (const subtask of input.plan.subtasks) {
    const model = await input.modelOf(subtask);
    const high = attemptHigh(subtask, model, input) * input.attempts;
    const recorded = input.history?.subtasks(subtask.complexity, model);
    const range = recorded
      ? { low: recorded.low, expected: recorded.mean }
      : heuristic(subtask, model, input);
    subtasks.push({
      id: subtask.id,
      title: subtask.title,
      complexity: subtask.complexity,
      model,
      attempts: input.attempts,
      basis: recorded ? 'history' : 'heuristic',
      ...(recorded ? { samples: recorded.samples } : {}),
      low: Math.min(range.low, high),
      expected: Math.min(Math.max(range.expected, range.low), high),
      high,
    });
  }
  const synthesis = synthesisForecast(input, subtasks.length);
  const total: CostRange = {
    low: synthesis.low,
    expected: synthesis.expected,
    high: synthesis.high,
  };
  for (const subtask of subtasks) {
    total.low += subtask.low;
    total.expected += subtask.expected;
    total.high += subtask.high;
  }
  const basis: ForecastBasis =
    subtasks.some((subtask) => subtask.basis === 'history') || synthesis.basis === 'history'
      ? 'history'
      : 'heuristic';
  return { subtasks, synthesis, total, basis };
}
