import { ArmyError, defaultCatalog, ERROR_CODES, type ModelCatalog } from '@haiku-army/core';
import { DEFAULT_NOTE_MAX_CHARS } from '../constants.js';
import { resolveModel } from '../internal/models.js';
import type { Router } from '../router.js';
import { schemaValidator, statusValidator, type Validator } from './validators.js';

/** Options for {@link cascade}. */
export interface CascadeOptions {
  /**
   * Judges each attempt, in order; the first rejection escalates.
   * @default [statusValidator(), schemaValidator()]
   */
  validate?: Validator | readonly Validator[];
  /** Longest note carried into the next attempt's brief, characters. @default 300 */
  noteMaxChars?: number;
  /** Checks every model id. @default core's default catalog */
  catalog?: ModelCatalog;
  /** @default 'cascade' */
  name?: string;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The first model, then the next one after each rejected attempt; `null`
 * once every model has been tried. The pick after a rejection carries a
 * `note` saying why the last attempt was rejected, for the next brief.
 *
 * @example
 * const router = cascade(['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5'], {
 *   validate: [statusValidator(), schemaValidator()],
 * });
 */
export function cascade(models: readonly string[], options: CascadeOptions = {}): Router {
  if (!Array.isArray(models) || models.length === 0) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      'A cascade needs at least one model; pass e.g. ["claude-haiku-5-5", "claude-opus-5-5"].',
    );
  }
  const ladder = models.map((model, index) =>
    resolveModel(options.catalog, model, `models[${index}]`),
  );
  const validators: readonly Validator[] =
    options.validate === undefined
      ? [statusValidator(), schemaValidator()]
      : typeof options.validate === 'function'
        ? [options.validate]
        : options.validate;
  const noteMax = options.noteMaxChars ?? DEFAULT_NOTE_MAX_CHARS;
  return {
    name: options.name ?? 'cascade',
    // Your own validators are functions nothing can fingerprint: with them the
    // cascade leaves `fingerprint` unset, so the result cache stores nothing.
    ...(options.validate === undefined
      ? {
          fingerprint: JSON.stringify({
            router: 'cascade',
            ladder,
            validate: 'status+schema',
            // The rejection note in a retry's brief is cut to this length.
            noteMax,
          }),
        }
      : {}),
    async pick(_subtask, context) {
      const attempts = context.attempts;
      if (attempts.length === 0) {
        return { model: ladder[0]!, reason: `cascade step 1 of ${ladder.length}: ${ladder[0]}` };
      }
      const last = attempts.at(-1)!;
      // Attempts may name a model by alias; compare canonical ids.
      const lastModel = (options.catalog ?? defaultCatalog).find(last.model)?.id ?? last.model;
      const position = ladder.indexOf(lastModel);
      // An attempt on a model outside the ladder (another policy picked it)
      // counts as one step.
      const next = position >= 0 ? position + 1 : attempts.length;
      if (next >= ladder.length) return null;
      const why = last.reason ?? `the attempt on ${last.model} ended ${last.status}`;
      return {
        model: ladder[next]!,
        reason: `cascade step ${next + 1} of ${ladder.length}: ${ladder[next]} after ${last.model} was rejected (${shorten(why, noteMax)})`,
        note: shorten(`A previous attempt was rejected: ${why}`, noteMax),
      };
    },
    async accept(subtask, attempt, context) {
      for (const validator of validators) {
        const verdict = await validator({ subtask, attempt, context });
        if (!verdict.ok) return verdict;
      }
      return { ok: true, reason: `accepted after ${context.attempts.length + 1} attempt(s)` };
    },
  };
}
