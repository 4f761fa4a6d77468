import { formatUsd } from '@haiku-army/core';
import {
  type Army,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_WORKER_MODEL,
  type Plan,
} from '@haiku-army/orchestrator';
import {
  buildWorkerRequest,
  codebaseTools,
  DEFAULT_SUMMARY_TOKEN_CAP,
  DEFAULT_WORKER_PREAMBLE,
  renderBrief,
} from '@haiku-army/worker';
import * as z from 'zod';

/** Model calls a worker may make per attempt (the worker's default `maxTurns`). */
const MAX_TURNS = 12;
/** The "expected" case: calls per subtask and output tokens per call. A rule of thumb, said so in `method`. */
const EXPECTED_CALLS = 3;
const EXPECTED_OUTPUT_TOKENS = 1024;

export const forecastSchema = z.object({
  subtasks: z.number().int(),
  plan: z.array(z.object({ id: z.string(), title: z.string() })),
  planningNanoUsd: z
    .number()
    .int()
    .describe('What the planner call that made this plan cost (already spent)'),
  lowNanoUsd: z.number().int(),
  expectedNanoUsd: z.number().int(),
  highNanoUsd: z.number().int(),
  low: z.string(),
  expected: z.string(),
  high: z.string(),
  capNanoUsd: z.number().int().describe('The per-call budget cap: no run spends more'),
  method: z.string(),
});
export type Forecast = z.infer<typeof forecastSchema>;

/**
 * A forecast range from a plan: every subtask's first worker request,
 * priced by the gateway. low: one call with no output; expected: a few calls
 * of moderate output; high: every turn of every attempt at its worst case.
 */
export function forecastOf(
  army: Army,
  plan: Plan,
  options: { root: string; workers?: string; planningNanoUsd: number; capNanoUsd: number },
): Forecast {
  const gateway = army.gateway;
  const model = gateway.catalog.get(options.workers ?? DEFAULT_WORKER_MODEL);
  const tools = codebaseTools({ root: options.root }).map((tool) => tool.toApiTool());
  let low = 0;
  let expected = 0;
  let high = 0;
  for (const subtask of plan.subtasks) {
    const request = buildWorkerRequest({
      model,
      maxOutputTokens: 4096,
      system: [{ type: 'text', text: DEFAULT_WORKER_PREAMBLE }],
      tools,
      messages: [
        {
          role: 'user',
          content: renderBrief(subtask.brief, { summaryTokenCap: DEFAULT_SUMMARY_TOKEN_CAP }),
        },
      ],
    });
    low += gateway.worstCase({ ...request, max_tokens: 1 });
    expected +=
      EXPECTED_CALLS * gateway.worstCase({ ...request, max_tokens: EXPECTED_OUTPUT_TOKENS });
    high += MAX_TURNS * DEFAULT_MAX_ATTEMPTS * gateway.worstCase(request);
  }
  const spent = options.planningNanoUsd;
  const range = { low: spent + low, expected: spent + expected, high: spent + high };
  return {
    subtasks: plan.subtasks.length,
    plan: plan.subtasks.map((subtask) => ({ id: subtask.id, title: subtask.title })),
    planningNanoUsd: spent,
    lowNanoUsd: range.low,
    expectedNanoUsd: range.expected,
    highNanoUsd: range.high,
    low: formatUsd(range.low),
    expected: formatUsd(range.expected),
    high: formatUsd(range.high),
    capNanoUsd: options.capNanoUsd,
    method:
      `Planned the job once (that planner call is spent and included), then priced each subtask's first worker request on ${model.id} with the gateway. ` +
      `low: one call per subtask, no output. expected: ${EXPECTED_CALLS} calls of up to ${EXPECTED_OUTPUT_TOKENS} output tokens each (a rule of thumb). ` +
      `high: ${MAX_TURNS} turns x ${DEFAULT_MAX_ATTEMPTS} attempts per subtask at the gateway's worst case for the first request. ` +
      'Not counted: the synthesizer call and the growth of later turns\u2019 context (tool results). The run budget is the hard cap.',
  };
}
