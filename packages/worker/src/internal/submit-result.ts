import { estimateTextTokens, type ModelTier } from '@haiku-army/core';
import * as z from 'zod';
import { SUBMIT_RESULT_TOOL } from '../constants.js';
import { type ApiTool, toInputSchema } from '../tool.js';
import type { WorkerStatus } from '../worker-result.js';
import { shortenRequest, truncateToTokens } from './summary.js';

const submitInput = z.object({
  status: z
    .enum(['done', 'partial', 'failed'])
    .describe('"done": task complete. "partial": only part of it done. "failed": could not do it.'),
  summary: z
    .string()
    .trim()
    .min(1)
    .describe(
      'A short, factual account of the outcome: findings, paths, numbers. Not your process.',
    ),
  data: z
    .unknown()
    .optional()
    .describe(
      'The structured result, only when the brief asks for one; it must match the schema in the brief.',
    ),
});

let apiTool: ApiTool | undefined;

/**
 * The `submit_result` tool definition. It is the same for every task (the
 * output schema travels in the brief) so that workers sharing a cached
 * prefix send identical tools.
 */
export function submitResultTool(): ApiTool {
  apiTool ??= {
    name: SUBMIT_RESULT_TOOL,
    description:
      'Finish your task: report its status, a short summary and, when the brief asks for it, structured data. Call it exactly once, last.',
    input_schema: toInputSchema(SUBMIT_RESULT_TOOL, submitInput) as ApiTool['input_schema'],
  };
  return apiTool;
}

/** Which corrections were already asked for (each is asked for at most once). */
export interface ContractState {
  shapeRetried: boolean;
  dataRetried: boolean;
  summaryRetried: boolean;
}

/** What to do with a submission. */
export type Verdict =
  | {
      kind: 'accept';
      status: WorkerStatus;
      summary: string;
      data?: unknown;
      summaryTruncated: boolean;
      /** Set when data was dropped after failing validation twice. */
      invalidData?: string;
    }
  | { kind: 'retry'; message: string }
  | { kind: 'reject'; reason: string; summary: string };

/** What {@link judgeSubmission} needs to know about the task. */
export interface JudgeOptions {
  outputSchema: z.ZodType | undefined;
  summaryTokenCap: number;
  tier: ModelTier;
  state: ContractState;
}

/**
 * Applies the result contract to one `submit_result` call: the shape is
 * checked, `data` against the output schema, the summary against its cap.
 * Each kind of problem is sent back once; the second time a bad shape or
 * bad data is rejected and an over-long summary is cut.
 */
export function judgeSubmission(input: unknown, options: JudgeOptions): Verdict {
  const { state, outputSchema, summaryTokenCap, tier } = options;
  const parsed = submitInput.safeParse(input);
  if (!parsed.success) {
    const problem = z.prettifyError(parsed.error);
    if (state.shapeRetried)
      return {
        kind: 'reject',
        reason: `submit_result input was invalid twice: ${problem}`,
        summary: '',
      };
    state.shapeRetried = true;
    return {
      kind: 'retry',
      message: `Invalid submit_result input:\n${problem}\nCall submit_result again with { status, summary, data? }.`,
    };
  }
  const { status, summary } = parsed.data;
  const problems: string[] = [];
  let data = parsed.data.data;
  let invalidData: string | undefined;
  if (status !== 'failed' && outputSchema) {
    let dataProblem: string | undefined;
    if (data === undefined) {
      if (status === 'done')
        dataProblem =
          '`data` is required: this task needs a structured result matching the schema in the brief.';
    } else {
      const checked = outputSchema.safeParse(data);
      if (checked.success) data = checked.data;
      else
        dataProblem = `\`data\` does not match the schema in the brief:\n${z.prettifyError(checked.error)}`;
    }
    if (dataProblem !== undefined) {
      if (state.dataRetried) invalidData = dataProblem;
      else {
        state.dataRetried = true;
        problems.push(dataProblem);
      }
    }
  }
  const tokens = estimateTextTokens(summary, tier);
  const overCap = tokens > summaryTokenCap;
  if (overCap && !state.summaryRetried) {
    state.summaryRetried = true;
    problems.push(shortenRequest(tokens, summaryTokenCap));
  }
  if (problems.length > 0)
    return { kind: 'retry', message: `${problems.join('\n\n')}\nCall submit_result again.` };
  const finalSummary = overCap ? truncateToTokens(summary, summaryTokenCap, tier) : summary;
  if (invalidData !== undefined && status === 'done')
    return {
      kind: 'reject',
      reason: `The submitted data still did not match the output schema after one correction. ${invalidData}`,
      summary: finalSummary,
    };
  const verdict: Verdict = {
    kind: 'accept',
    status,
    summary: finalSummary,
    summaryTruncated: overCap,
  };
  if (invalidData !== undefined) verdict.invalidData = invalidData;
  else if (data !== undefined && status !== 'failed') verdict.data = data;
  return verdict;
}
