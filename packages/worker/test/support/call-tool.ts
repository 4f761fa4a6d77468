import { executeTool, type ToolOutcome } from '../../src/internal/execute-tool.js';
import type { Tool } from '../../src/tool.js';

/** Calls a tool the way a worker does: validated input, errors as results. */
export function callTool(
  tool: Tool,
  input: unknown,
  signal: AbortSignal = new AbortController().signal,
): Promise<ToolOutcome> {
  return executeTool(
    tool,
    tool.name,
    input,
    { signal, runId: 'run-test', taskId: 'task-test', toolUseId: 'toolu_test' },
    50_000,
    [tool.name],
  );
}
