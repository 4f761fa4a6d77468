import { SUBMIT_RESULT_TOOL } from '../constants.js';
import { raceAbort } from './abort.js';
import type { ToolOutcome } from './execute-tool.js';
import type { ContentParam, ToolUseBlock } from './messages.js';

/** What {@link runToolTurn} needs besides the turn's `tool_use` blocks. */
export interface ToolTurnOptions {
  /** Runs one tool call (never `submit_result`). */
  execute(use: ToolUseBlock): Promise<ToolOutcome>;
  /** The answer to the turn's first `submit_result` call, when it made one (it is sent back). */
  submitReply: string | undefined;
  signal: AbortSignal;
}

/**
 * Runs one turn's tool calls concurrently and answers every `tool_use`
 * block, in order, with exactly one `tool_result` (the API rejects a turn
 * that leaves one unanswered). Rejects with core's AbortError as soon as
 * the worker is cancelled, even if a tool ignores its signal.
 */
export async function runToolTurn(
  toolUses: readonly ToolUseBlock[],
  options: ToolTurnOptions,
): Promise<ContentParam[]> {
  const submit = toolUses.find((use) => use.name === SUBMIT_RESULT_TOOL);
  const others = toolUses.filter((use) => use.name !== SUBMIT_RESULT_TOOL);
  const outcomes = await raceAbort(Promise.all(others.map(options.execute)), options.signal);
  // Keyed by block, not id: a repeated id still gets its own result.
  const byUse = new Map(others.map((use, index) => [use, outcomes[index]!]));
  return toolUses.map((use): ContentParam => {
    const outcome = byUse.get(use);
    if (outcome)
      return {
        type: 'tool_result',
        tool_use_id: use.id,
        content: outcome.content,
        is_error: outcome.isError,
      };
    const content =
      use === submit && options.submitReply !== undefined
        ? options.submitReply
        : `Only one ${SUBMIT_RESULT_TOOL} call per turn is read.`;
    return { type: 'tool_result', tool_use_id: use.id, content, is_error: true };
  });
}
