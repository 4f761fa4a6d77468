import type { Complexity } from '@haiku-army/orchestrator';

/**
 * The assumptions of `army estimate`'s heuristic (used until runs are
 * journaled): typical worker turns per complexity label, and what a typical
 * turn adds. The high end never uses these; it assumes every limit is reached.
 */
export const EXPECTED_TURNS: Readonly<Record<Complexity, number>> = {
  simple: 3,
  moderate: 5,
  complex: 8,
};

/** Tokens a typical tool result adds to a worker's history. */
export const EXPECTED_TOOL_RESULT_TOKENS = 3_000;

/** Output tokens of a typical worker turn. */
export const EXPECTED_OUTPUT_TOKENS = 300;

/** Output tokens of the cheapest possible worker run (one call that submits its result). */
export const LOW_OUTPUT_TOKENS = 100;

/** Input tokens the synthesizer's instructions take, before the summaries. */
export const SYNTHESIS_PROMPT_TOKENS = 600;

/** Output tokens of a typical synthesized answer: a base, plus a share of each subtask's summary. */
export const EXPECTED_SYNTHESIS_OUTPUT_TOKENS = 300;
export const EXPECTED_SYNTHESIS_TOKENS_PER_SUBTASK = 150;

/**
 * Allowances of the high end for what the estimate cannot see byte for
 * byte: the `submit_result` tool the worker adds, and the JSON around each
 * turn's tool calls and results. Tokens.
 */
export const SUBMIT_TOOL_ALLOWANCE_TOKENS = 2_000;
export const TURN_OVERHEAD_TOKENS = 200;

/** The synthesizer's instructions, tokens, at most (high end). */
export const SYNTHESIS_PROMPT_ALLOWANCE_TOKENS = 4_000;

/** Newest journaled runs read for recorded costs. */
export const HISTORY_RUNS = 50;
