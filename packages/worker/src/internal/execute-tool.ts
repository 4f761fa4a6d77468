import { AbortError } from '@haiku-army/core';
import * as z from 'zod';
import { type Tool, type ToolContext, ToolError } from '../tool.js';
import { raceAbort } from './abort.js';

/** What a tool call produced, ready to become a `tool_result` block. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(no output)';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[output cut at ${maxChars} of ${text.length} characters; ask for less, e.g. a narrower range or pattern]`;
}

/**
 * Runs one tool call: validates the input with the tool's zod schema, runs
 * it, and turns the value or the error into a tool result. Invalid input
 * and thrown errors become `isError` results the model can act on; only an
 * abort of the worker propagates (as core's AbortError).
 */
export async function executeTool(
  tool: Tool | undefined,
  name: string,
  rawInput: unknown,
  context: ToolContext,
  maxChars: number,
  available: readonly string[],
): Promise<ToolOutcome> {
  if (!tool) {
    return {
      content: `Unknown tool ${JSON.stringify(name)}. Available tools: ${available.join(', ')}.`,
      isError: true,
    };
  }
  try {
    // Async, so that schemas with async refinements are checked too.
    const parsed = await tool.input.safeParseAsync(rawInput);
    if (!parsed.success) {
      return {
        content: `Invalid input for tool ${JSON.stringify(name)}:\n${z.prettifyError(parsed.error)}`,
        isError: true,
      };
    }
    const value = await raceAbort(
      Promise.resolve().then(() => tool.run(parsed.data, context)),
      context.signal,
    );
    return { content: clip(render(value), maxChars), isError: false };
  } catch (error) {
    if (context.signal.aborted) throw new AbortError(undefined, { cause: context.signal.reason });
    if (error instanceof ToolError)
      return { content: clip(error.message, maxChars), isError: true };
    const message = error instanceof Error ? error.message : String(error);
    return {
      content: clip(`Tool ${JSON.stringify(name)} failed: ${message}`, maxChars),
      isError: true,
    };
  }
}
