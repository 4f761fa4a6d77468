import type { GatewayRequest, ModelGateway } from '@haiku-army/core';
import type * as z from 'zod';
import { PLANNER_TASK_ID } from '../constants.js';
import { PlanInvalidError, type PlanIssue } from '../errors.js';
import { jsonSchemaOf, type PlanSubtask } from '../plan.js';
import { type ValidatePlanOptions, validateWith } from '../validate-plan.js';

type MessageParam = GatewayRequest['messages'][number];

/** One planner exchange: a first call, and at most one repair call. */
export interface PlannerCallOptions<T extends { subtasks: PlanSubtask[] }> {
  gateway: ModelGateway;
  runId: string;
  model: string;
  maxTokens: number;
  system: string;
  user: string;
  schema: z.ZodType<T>;
  validation: ValidatePlanOptions;
  /** Builds the repair message from the issues. */
  repair: (issues: readonly PlanIssue[]) => string;
  /** Names the plan in the error. */
  what: string;
  signal?: AbortSignal | undefined;
}

function textOf(content: readonly { type: string; text?: string }[]): string {
  return content
    .filter((block) => block.type === 'text')
    .map((block) => block.text ?? '')
    .join('')
    .trim();
}

/** Parses the planner's JSON text (a fenced block is tolerated). */
function parse(text: string): { value?: unknown; issue?: PlanIssue } {
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(text);
  try {
    return { value: JSON.parse(fenced ? fenced[1]! : text) };
  } catch (error) {
    return {
      issue: {
        code: 'not_json',
        message: `the reply is not JSON (${(error as Error).message}); reply with the plan as JSON only`,
      },
    };
  }
}

/**
 * Asks the planner for a plan with structured output (`output_config`
 * carrying the zod schema's JSON Schema), validates it, and on failure
 * sends the issues back for one repair round.
 * @throws PlanInvalidError when the repaired plan is still invalid.
 */
export async function callPlanner<T extends { subtasks: PlanSubtask[] }>(
  options: PlannerCallOptions<T>,
): Promise<T> {
  const { gateway, runId, model, maxTokens, system, schema, validation } = options;
  const messages: MessageParam[] = [{ role: 'user', content: options.user }];
  const format = { type: 'json_schema' as const, schema: jsonSchemaOf(schema) };
  let issues: PlanIssue[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const request: GatewayRequest = {
      model,
      max_tokens: maxTokens,
      system,
      messages: [...messages],
      output_config: { format },
    };
    const response = await gateway.call(
      request,
      { runId, taskId: PLANNER_TASK_ID, role: 'planner', attempt },
      options.signal ? { signal: options.signal } : {},
    );
    const text = textOf(response.message.content as { type: string; text?: string }[]);
    const parsed = parse(text);
    if (parsed.issue) issues = [parsed.issue];
    else {
      const result = validateWith(parsed.value, validation, schema);
      if (result.plan) return result.plan;
      issues = result.issues;
    }
    if (response.message.stop_reason === 'max_tokens')
      issues.push({
        code: 'schema',
        message: `the reply was cut at max_tokens (${maxTokens}); plan fewer subtasks or shorter briefs`,
      });
    messages.push({ role: 'assistant', content: text.length > 0 ? text : '(empty)' });
    messages.push({ role: 'user', content: options.repair(issues) });
  }
  throw new PlanInvalidError(issues, options.what);
}
