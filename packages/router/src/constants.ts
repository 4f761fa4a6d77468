import type { Complexity } from './router.js';

/** The model a complexity label maps to by default. */
export const DEFAULT_COMPLEXITY_MODELS: Readonly<Record<Complexity, string>> = {
  simple: 'claude-haiku-5-5',
  moderate: 'claude-sonnet-5-5',
  complex: 'claude-opus-5-5',
};

/** The cheap model (classifier, judge, and the weak side of a two-model policy). */
export const DEFAULT_WEAK_MODEL = 'claude-haiku-5-5';

/** The strong side of a two-model policy, and what the evaluation prices "strong" as. */
export const DEFAULT_STRONG_MODEL = 'claude-opus-5-5';

/** The escalation ladder a cascade and `budgetAware` use by default, cheapest first. */
export const DEFAULT_LADDER: readonly string[] = [
  'claude-haiku-5-5',
  'claude-sonnet-5-5',
  'claude-opus-5-5',
];

/** Longest note of a rejection carried into the next attempt's brief, characters. */
export const DEFAULT_NOTE_MAX_CHARS = 300;

/** Output allowance of a classifier or judge call, tokens. */
export const DEFAULT_ROUTER_CALL_MAX_TOKENS = 200;

/** Output tokens assumed for a prompt whose recorded response is absent (one answer letter). */
export const DEFAULT_EVAL_OUTPUT_TOKENS = 1;

/** Folds of the learned policy's cross-validation. */
export const CROSS_VALIDATION_FOLDS = 5;
