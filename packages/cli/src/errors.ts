import { ArmyError, ERROR_CODES } from '@haiku-army/core';
import { EXIT } from './constants.js';

/** Codes (core's and the orchestrator's) that are the caller's to fix: exit {@link EXIT.USAGE}. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  ERROR_CODES.INVALID_OPTIONS,
  ERROR_CODES.UNKNOWN_MODEL,
  ERROR_CODES.MISSING_API_KEY,
  'RUN_NOT_FOUND',
  'JOURNAL_INCOMPATIBLE',
]);

/** A caller mistake found by the command itself: one line, exit {@link EXIT.USAGE}. */
export function usageError(message: string): ArmyError {
  return new ArmyError(ERROR_CODES.INVALID_OPTIONS, message);
}

/** Collapses a message to one line (commander's, the API's and core's may span several). */
export function oneLine(text: string): string {
  return text
    .replace(/^error:\s*/i, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' ');
}

/** The one line printed for an error: `army: <what was wrong and what to do>`. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `army: ${oneLine(message)}`;
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (ArmyError.is(error) && typeof code === 'string' && USAGE_CODES.has(code)) return EXIT.USAGE;
  return EXIT.FAILED;
}

/** An error as `--json` prints it: name, code and message, never a stack. */
export function errorJson(error: unknown): { name: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: error.message,
  };
}

/** `JSON.stringify` for `--json`: every Error (at any depth) becomes {@link errorJson}. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, current: unknown) => (current instanceof Error ? errorJson(current) : current),
    2,
  );
}
