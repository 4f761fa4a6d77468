import { estimateTextTokens, type ModelTier } from '@haiku-army/core';
import * as z from 'zod';
import { SUBMIT_RESULT_TOOL } from '../constants.js';
import { nudge } from './messages.js';
import { type Outcome, Stop } from './run-outcome.js';
import { submitInput } from './submit-result.js';
import { shortenRequest, truncateToTokens } from './summary.js';

/** Which corrections were already asked for (each is asked for at most once). */
export interface ContractState {
  shapeRetried: boolean;
  dataRetried: boolean;
  summaryRetried: boolean;
  nudged: boolean;
  /** The schema issues of the last submission whose `data` was invalid, if any. */
  dataIssues?: string;
}

/** A fresh {@link ContractState}. */
export function newContractState(): ContractState {
  return { shapeRetried: false, dataRetried: false, summaryRetried: false, nudged: false };
}

/** A zod error's issues on one line each joined by `; `, as `path: message` (`(root)` for the value itself). */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      let path = '';
      for (const key of issue.path)
        path +=
          typeof key === 'number' ? `[${key}]` : path === '' ? String(key) : `.${String(key)}`;
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/** What the contract needs to know about the task and the turn. */
export interface ContractOptions {
  outputSchema: z.ZodType | undefined;
  summaryTokenCap: number;
  tier: ModelTier;
  state: ContractState;
  /**
   * This was the model's last turn: nothing can be sent back any more, so
   * every problem is settled at once (a long summary is cut, bad data or a
   * bad submission is rejected).
   */
  final: boolean;
}

/** What to do with a model's answer. */
export type Verdict =
  | { kind: 'accept'; outcome: Outcome }
  | { kind: 'retry'; message: string }
  | { kind: 'stop'; stop: Stop };

/** Asks for one correction of a kind, unless it was asked for already or no turn is left. */
function mayRetry(
  options: ContractOptions,
  kind: 'shapeRetried' | 'dataRetried' | 'summaryRetried',
): boolean {
  if (options.final || options.state[kind]) return false;
  options.state[kind] = true;
  return true;
}

/** `data` checked against the output schema: the parsed value, or the problem. */
async function checkData(
  data: unknown,
  status: 'done' | 'partial',
  schema: z.ZodType,
): Promise<{ data?: unknown; problem?: string; issues?: string }> {
  if (data === undefined)
    return status === 'done'
      ? {
          problem:
            '`data` is required: this task needs a structured result matching the schema in the brief.',
          issues: '(root): `data` is required',
        }
      : {};
  // Async so that schemas with async refinements are checked, not a crash.
  const checked = await schema.safeParseAsync(data);
  if (checked.success) return { data: checked.data };
  return {
    problem: `\`data\` does not match the schema in the brief:\n${z.prettifyError(checked.error)}`,
    issues: formatIssues(checked.error),
  };
}

/**
 * Applies the result contract to one `submit_result` call: the shape is
 * checked, `data` against the output schema, the summary against its cap.
 * Each kind of problem is sent back once; the second time (or on the last
 * turn) a bad shape or bad data is rejected and an over-long summary is cut.
 */
export async function judgeSubmission(input: unknown, options: ContractOptions): Promise<Verdict> {
  const { outputSchema, summaryTokenCap, tier } = options;
  // submit_result's own schema has nothing asynchronous: parsed synchronously.
  const parsed = submitInput.safeParse(input);
  if (!parsed.success) {
    const problem = z.prettifyError(parsed.error);
    if (mayRetry(options, 'shapeRetried'))
      return {
        kind: 'retry',
        message: `Invalid ${SUBMIT_RESULT_TOOL} input:\n${problem}\nCall ${SUBMIT_RESULT_TOOL} again with { status, summary, data? }.`,
      };
    const when = options.state.shapeRetried ? 'twice' : 'on the last turn';
    return {
      kind: 'stop',
      stop: new Stop(
        'INVALID_RESULT',
        `${SUBMIT_RESULT_TOOL} input was invalid ${when}. Issues: ${formatIssues(parsed.error)}.`,
      ),
    };
  }
  const { status, summary } = parsed.data;
  const problems: string[] = [];
  let data: unknown;
  let invalidData: string | undefined;
  if (status !== 'failed') {
    const checked = outputSchema
      ? await checkData(parsed.data.data, status, outputSchema)
      : { data: parsed.data.data };
    data = checked.data;
    if (checked.problem !== undefined) {
      options.state.dataIssues = checked.issues;
      if (mayRetry(options, 'dataRetried')) problems.push(checked.problem);
      else invalidData = checked.issues;
    } else delete options.state.dataIssues;
  }
  const tokens = estimateTextTokens(summary, tier);
  const overCap = tokens > summaryTokenCap;
  if (overCap && mayRetry(options, 'summaryRetried'))
    problems.push(shortenRequest(tokens, summaryTokenCap));
  if (problems.length > 0)
    return {
      kind: 'retry',
      message: `${problems.join('\n\n')}\nCall ${SUBMIT_RESULT_TOOL} again.`,
    };
  const finalSummary = overCap ? truncateToTokens(summary, summaryTokenCap, tier) : summary;
  const correction = options.state.dataRetried ? 'after one correction' : 'on the last turn';
  if (invalidData !== undefined && status === 'done')
    return {
      kind: 'stop',
      stop: new Stop(
        'INVALID_RESULT',
        `The submitted data still did not match the output schema ${correction}. Issues: ${invalidData}.`,
        undefined,
        finalSummary,
      ),
    };
  const outcome: Outcome = { status, summary: finalSummary };
  if (overCap) outcome.summaryTruncated = true;
  if (invalidData !== undefined) {
    outcome.code = 'INVALID_RESULT';
    outcome.reason = `The data was dropped: it still did not match the output schema ${correction}. Issues: ${invalidData}.`;
  } else if (data !== undefined) outcome.data = data;
  if (status === 'failed')
    outcome.reason = 'The worker reported that it could not do the task; see the summary.';
  return { kind: 'accept', outcome };
}

/**
 * Applies the result contract to a turn that ended in plain text (no tool
 * call). Without an output schema the text is the summary (sent back once
 * when over the cap, then cut). With a schema, or with no usable text, the
 * model gets one reminder; the second time the worker stops with NO_RESULT,
 * or with INVALID_RESULT (and the schema's issues) when the data it last
 * submitted was invalid.
 */
export function judgePlainText(
  text: string,
  stopReason: string | null,
  options: ContractOptions,
): Verdict {
  const { outputSchema, summaryTokenCap, tier, state } = options;
  if (!outputSchema && text && stopReason !== 'max_tokens') {
    const tokens = estimateTextTokens(text, tier);
    if (tokens <= summaryTokenCap)
      return { kind: 'accept', outcome: { status: 'done', summary: text } };
    if (mayRetry(options, 'summaryRetried'))
      return {
        kind: 'retry',
        message: `${shortenRequest(tokens, summaryTokenCap)} Reply with the shorter summary only, or call ${SUBMIT_RESULT_TOOL}.`,
      };
    return {
      kind: 'accept',
      outcome: {
        status: 'done',
        summary: truncateToTokens(text, summaryTokenCap, tier),
        summaryTruncated: true,
      },
    };
  }
  if (!state.nudged) {
    // On the last turn the caller turns this into MAX_TURNS: no turn is left for a reminder.
    state.nudged = true;
    return {
      kind: 'retry',
      message: nudge(
        outputSchema !== undefined ? 'data' : stopReason === 'max_tokens' ? 'cut' : 'empty',
      ),
    };
  }
  if (state.dataIssues !== undefined)
    return {
      kind: 'stop',
      stop: new Stop(
        'INVALID_RESULT',
        `The submitted data did not match the output schema, and after it was sent back the model ended its turn without calling ${SUBMIT_RESULT_TOOL} again, even after one reminder. Issues: ${state.dataIssues}.`,
      ),
    };
  return {
    kind: 'stop',
    stop: new Stop(
      'NO_RESULT',
      outputSchema
        ? `The model ended its turn without calling ${SUBMIT_RESULT_TOOL}, again after one reminder; this task requires data matching its output schema.`
        : 'The model ended its turn without an answer, again after one reminder.',
    ),
  };
}
