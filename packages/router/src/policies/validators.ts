import type { ModelGateway } from '@haiku-army/core';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { DEFAULT_ROUTER_CALL_MAX_TOKENS, DEFAULT_WEAK_MODEL } from '../constants.js';
import { messageText } from '../internal/message-text.js';
import { resolveModel } from '../internal/models.js';
import type { Acceptance, RouterAttempt, RouterContext, RouterSubtask } from '../router.js';

/** What a validator judges. */
export interface ValidationInput {
  subtask: RouterSubtask;
  attempt: RouterAttempt;
  context: RouterContext;
}

/** Judges one finished attempt; a cascade escalates when one says `ok: false`. */
export type Validator = (input: ValidationInput) => Acceptance | Promise<Acceptance>;

/** Accepts an attempt the worker itself reported as `done`. */
export function statusValidator(): Validator {
  return ({ attempt }) => {
    if (attempt.status === 'done') return { ok: true, reason: 'the worker reported done' };
    const code = attempt.code ? ` (${attempt.code})` : '';
    return {
      ok: false,
      reason: `the worker reported ${attempt.status}${code}: ${attempt.summary}`,
    };
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Checks `data` against a zod schema: the one given, else the subtask's
 * `output` schema (an attempt of a subtask without one passes).
 */
export function schemaValidator(schema?: ZodType): Validator {
  return ({ subtask, attempt }) => {
    const check = schema ?? subtask.output;
    if (!check) return { ok: true, reason: 'no output schema to check' };
    const result = check.safeParse(attempt.data);
    if (result.success) return { ok: true, reason: 'data matches the output schema' };
    return {
      ok: false,
      reason: `data does not match the output schema: ${describeIssues(result.error)}`,
    };
  };
}

/** Options for {@link predicateValidator}. */
export interface PredicateValidatorOptions {
  /** The reason when the predicate returns `false`. @default 'the predicate rejected the attempt' */
  reason?: string;
}

/**
 * Accepts when the predicate returns `true`; a string it returns is a
 * rejection reason.
 */
export function predicateValidator(
  predicate: (input: ValidationInput) => boolean | string | Promise<boolean | string>,
  options: PredicateValidatorOptions = {},
): Validator {
  return async (input) => {
    const verdict = await predicate(input);
    if (verdict === true) return { ok: true, reason: 'the predicate accepted the attempt' };
    if (typeof verdict === 'string') return { ok: false, reason: verdict };
    return { ok: false, reason: options.reason ?? 'the predicate rejected the attempt' };
  };
}

/** The judge's instruction prefix (cached with `cache_control`). */
export const JUDGE_INSTRUCTIONS = `You check one worker's answer to a subtask brief.
Reply with JSON only: {"ok": true | false, "reason": "<one short sentence>"}.
Say ok: false when the answer does not do what the brief asks, is incomplete, contradicts itself, or states something the brief's material shows is wrong. Do not reject for style.`;

const VERDICT_SCHEMA = z.object({ ok: z.boolean(), reason: z.string() });

/** Options for {@link judgeValidator}. */
export interface JudgeValidatorOptions {
  /** Where the judge's calls go (attributed with role `router`). */
  gateway: ModelGateway;
  /** @default 'claude-haiku-5-5' */
  model?: string;
  /** @default JUDGE_INSTRUCTIONS */
  instructions?: string;
  /** @default 200 */
  maxTokens?: number;
}

/**
 * A cheap judge call through the gateway (role `router`) reads the brief and
 * the attempt's summary and data and says whether to accept it. A reply that
 * does not parse rejects, with that as the reason.
 */
export function judgeValidator(options: JudgeValidatorOptions): Validator {
  const model = resolveModel(options.gateway.catalog, options.model ?? DEFAULT_WEAK_MODEL, 'model');
  const instructions = options.instructions ?? JUDGE_INSTRUCTIONS;
  return async ({ subtask, attempt, context }) => {
    const answer = [
      `Brief:\n${subtask.brief}`,
      `Answer summary:\n${attempt.summary}`,
      attempt.data === undefined ? '' : `Answer data:\n${JSON.stringify(attempt.data)}`,
    ]
      .filter(Boolean)
      .join('\n\n');
    const response = await options.gateway.call(
      {
        model,
        max_tokens: options.maxTokens ?? DEFAULT_ROUTER_CALL_MAX_TOKENS,
        system: [{ type: 'text', text: instructions, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: answer }],
        output_config: {
          format: { type: 'json_schema', schema: z.toJSONSchema(VERDICT_SCHEMA) as never },
        },
      },
      {
        runId: context.runId,
        taskId: subtask.id,
        role: 'router',
        attempt: context.attempts.length + 1,
        tags: ['router:judge'],
      },
      context.signal ? { signal: context.signal } : {},
    );
    try {
      const verdict = VERDICT_SCHEMA.parse(JSON.parse(messageText(response.message)));
      return { ok: verdict.ok, reason: `judge: ${verdict.reason}` };
    } catch {
      return { ok: false, reason: 'the judge reply was not a verdict' };
    }
  };
}
