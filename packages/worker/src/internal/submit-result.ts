import * as z from 'zod';
import { SUBMIT_RESULT_TOOL } from '../constants.js';
import { type ApiTool, toInputSchema } from '../tool.js';

/** The input of `submit_result`. */
export const submitInput = z.object({
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
