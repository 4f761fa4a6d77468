import type { Tool } from '@haiku-army/worker';
import { MAX_QUOTED_DATA_CHARS } from '../constants.js';
import type { PlanIssue } from '../errors.js';
import type { SubtaskResult } from '../run-result.js';

/** `data` as compact JSON, cut at a length so one result cannot flood a prompt. */
export function quoteData(data: unknown): string | undefined {
  if (data === undefined) return undefined;
  let text: string;
  try {
    text = JSON.stringify(data);
  } catch {
    return undefined;
  }
  return text.length > MAX_QUOTED_DATA_CHARS ? `${text.slice(0, MAX_QUOTED_DATA_CHARS)}…` : text;
}

/**
 * Subtask results as the planner, synthesizer and dependents see them:
 * one bullet per subtask with its summary, then its data. Never a
 * transcript.
 */
export function formatResults(results: readonly SubtaskResult[]): string {
  return results
    .map((result) => {
      const summary = result.summary.replace(/\s*\n\s*/g, ' ').trim();
      const lines = [`- [${result.id}] ${result.title} (${result.status}): ${summary}`];
      const data = quoteData(result.data);
      if (data !== undefined) lines.push(`  data: ${data}`);
      return lines.join('\n');
    })
    .join('\n');
}

function toolLines(tools: readonly Tool[]): string {
  if (tools.length === 0) return '- (none: workers can only reason over their brief)';
  return tools
    .map((tool) => `- ${tool.name}: ${tool.description.replace(/\s*\n\s*/g, ' ').trim()}`)
    .join('\n');
}

/** The planner's system prompt: its role, effort scaling, the workers' tools, the brief rules. */
export function plannerSystem(tools: readonly Tool[], maxSubtasks: number): string {
  return `You are the planner of a haiku-army run. You split one job into subtasks that cheap worker agents run in parallel, each in its own isolated context, and you reply with the plan as JSON matching the given schema.

Effort scaling:
- A simple lookup needs one subtask.
- A comparison of a few things needs 2-4 subtasks, one per thing.
- A broad search (a whole codebase, many documents) needs 10 or more subtasks, each over its own share.
- Never plan more than ${maxSubtasks} subtasks.

The workers' tools:
${toolLines(tools)}

Rules for briefs:
- A worker sees nothing but its brief: no job text, no other briefs, no conversation. Make each brief self-contained: state the objective, the output format, which tools and sources to use, and the boundaries.
- Give every subtask a short unique id. List in dependsOn only ids of subtasks whose results this one truly needs; a dependent receives their summaries and data, nothing else. No cycles.
- Label complexity: simple (mechanical), moderate (some judgement), complex (hard reasoning).
- Keep reasoning short.`;
}

/** The planner's user message. */
export function plannerUser(job: string, context: string | undefined, maxSubtasks: number): string {
  return [`job: ${job}`, ...(context ? [context.trim()] : []), `maxSubtasks: ${maxSubtasks}`].join(
    '\n',
  );
}

/** The repair round's message: what was wrong, and the instruction to fix it. */
export function repairMessage(issues: readonly PlanIssue[]): string {
  return `That plan is invalid:\n${issues.map((issue) => `- ${issue.message}`).join('\n')}\n\nReply with the whole corrected plan as JSON matching the schema.`;
}

/** The planner's message after a round: the results so far, and the choice to finish or add subtasks. */
export function roundMessage(
  job: string,
  round: number,
  rounds: number,
  results: readonly SubtaskResult[],
  remaining: number,
): string {
  return `job: ${job}
round: ${round} of ${rounds}

Results so far (summaries and data only):
${formatResults(results)}

If these results answer the job, reply with done: true and no subtasks. Otherwise reply with done: false and the new subtasks for this round (at most ${remaining}; new unique ids; dependsOn may name the subtasks above).`;
}

/** The synthesizer's system prompt. */
export const SYNTHESIZER_SYSTEM = `You are the synthesizer of a haiku-army run. Worker agents each did one subtask of a job; you receive the job and their summaries and structured data, never their transcripts. Write the final answer to the job from them: complete, specific (keep every path, line and figure they report), and honest about gaps (subtasks that failed or were partial).`;

/** The synthesizer's user message: the usable results, then a line per subtask that produced none. */
export function synthesizerUser(
  job: string,
  results: readonly SubtaskResult[],
  missing: readonly SubtaskResult[] = [],
): string {
  const text = `job: ${job}\n\nSubtask results (summaries and data only):\n${formatResults(results)}`;
  if (missing.length === 0) return text;
  const lines = missing.map((result) => {
    const why = (result.reason ?? result.summary).replace(/\s*\n\s*/g, ' ').trim();
    return `- [${result.id}] ${result.title} (${result.status}${result.code ? `, ${result.code}` : ''}): ${why}`;
  });
  return `${text}\n\nSubtasks with no result (say that the answer does not cover them):\n${lines.join('\n')}`;
}

/** What a dependent subtask's brief gets from its dependencies. */
export function dependencyGuidance(results: readonly SubtaskResult[]): string {
  return `Results of the subtasks this one builds on (their summaries and data; you cannot see more of them):\n${formatResults(results)}`;
}
