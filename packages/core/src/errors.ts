import type { LedgerEntry } from './ledger/ledger-entry.js';

/**
 * Stable error codes. Callers switch on `error.code`, never on messages.
 * Caller mistakes (bad options, unknown model, bad plan) are separate from
 * system failures (API down, budget exceeded).
 */
export const ERROR_CODES = {
  /** An option or argument was invalid. Caller mistake. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** A model id or alias is not in the catalog. Caller mistake. */
  UNKNOWN_MODEL: 'UNKNOWN_MODEL',
  /** A hard budget cap would be exceeded. */
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  /** The API rejected the request (4xx other than 408/409/429). */
  API_REQUEST_REJECTED: 'API_REQUEST_REJECTED',
  /** The API kept failing after every retry (429/529/5xx/connection). */
  API_UNAVAILABLE: 'API_UNAVAILABLE',
  /** The call was cancelled through its AbortSignal. */
  ABORTED: 'ABORTED',
  /** A ledger store could not be read or written. */
  LEDGER_STORE_FAILED: 'LEDGER_STORE_FAILED',
  /** A request can never fit under a rate limit (e.g. larger than the bucket). */
  RATE_LIMIT_UNSATISFIABLE: 'RATE_LIMIT_UNSATISFIABLE',
  /** `gateway.batch()` was given no items. Caller mistake. */
  BATCH_EMPTY: 'BATCH_EMPTY',
  /** Two batch items share a `custom_id` (the same run, task and attempt). Caller mistake. */
  BATCH_DUPLICATE_ID: 'BATCH_DUPLICATE_ID',
  /** `gateway.resumeBatch()` was given a batch id the API does not know. */
  BATCH_NOT_FOUND: 'BATCH_NOT_FOUND',
  /** One batch item is larger than a whole batch may be. Caller mistake. */
  BATCH_ITEM_TOO_LARGE: 'BATCH_ITEM_TOO_LARGE',
} as const;

/** One of {@link ERROR_CODES}. */
export type ArmyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Options for {@link ArmyError}. */
export interface ArmyErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Base class of every error haiku-army throws. `code` is stable; `name` is the
 * concrete class name.
 *
 * @example
 * try { getModel('claude-haiku-9'); } catch (error) {
 *   if (error instanceof ArmyError && error.code === 'UNKNOWN_MODEL') { ... }
 * }
 */
export class ArmyError extends Error {
  readonly code: ArmyErrorCode;

  constructor(code: ArmyErrorCode, message: string, options: ArmyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** True when `value` is an ArmyError, optionally with the given code. */
  static is(value: unknown, code?: ArmyErrorCode): value is ArmyError {
    return value instanceof ArmyError && (code === undefined || value.code === code);
  }
}

/** Which cap a {@link BudgetExceededError} hit. */
export type BudgetScope = 'run' | 'task' | 'day' | 'month';

/** Details carried by {@link BudgetExceededError}. All money in nano-USD. */
export interface BudgetExceededDetails {
  scope: BudgetScope;
  /** The cap, nano-USD. */
  limit: number;
  /** Spent plus currently reserved in that scope when the request was refused, nano-USD. */
  spent: number;
  /** What the refused reservation asked for, nano-USD. */
  requested: number;
  /** The task id when `scope` is `task`. */
  taskId?: string;
}

/** A reservation would take a scope over its hard cap. */
export class BudgetExceededError extends ArmyError {
  readonly scope: BudgetScope;
  readonly limit: number;
  readonly spent: number;
  readonly requested: number;
  readonly taskId: string | undefined;

  constructor(details: BudgetExceededDetails, options: ArmyErrorOptions = {}) {
    const where = details.scope === 'task' ? `task "${details.taskId}"` : `${details.scope}`;
    super(
      ERROR_CODES.BUDGET_EXCEEDED,
      `Budget exceeded for ${where}: limit ${details.limit} nano-USD, already committed ${details.spent}, ` +
        `requested ${details.requested}. Raise the ${details.scope} limit, lower max_tokens, or split the work.`,
      options,
    );
    this.scope = details.scope;
    this.limit = details.limit;
    this.spent = details.spent;
    this.requested = details.requested;
    this.taskId = details.taskId;
  }
}

/** Details of an API error surfaced by the gateway. */
export interface ApiErrorDetails {
  /** HTTP status, when there was a response. */
  status?: number;
  /** The API's error type, e.g. `invalid_request_error`. */
  type?: string;
  /** The API's request id. */
  requestId?: string;
  /** How many attempts were made. */
  attempts: number;
}

/** The API rejected a request, or stayed unavailable through every retry. */
export class ApiCallError extends ArmyError {
  readonly status: number | undefined;
  readonly type: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number;

  constructor(
    code: typeof ERROR_CODES.API_REQUEST_REJECTED | typeof ERROR_CODES.API_UNAVAILABLE,
    message: string,
    details: ApiErrorDetails,
    options: ArmyErrorOptions = {},
  ) {
    super(code, message, options);
    this.status = details.status;
    this.type = details.type;
    this.requestId = details.requestId;
    this.attempts = details.attempts;
  }
}

/**
 * A ledger store failed to write a billed call. The entry is still in the
 * ledger's memory and is carried here, so callers keep the cost.
 */
export class LedgerStoreError extends ArmyError {
  /** The entry that was recorded in memory but not written. */
  readonly entry: LedgerEntry;

  constructor(message: string, entry: LedgerEntry, options: ArmyErrorOptions = {}) {
    super(ERROR_CODES.LEDGER_STORE_FAILED, message, options);
    this.entry = entry;
  }
}

/** Options for {@link AbortError}. */
export interface AbortErrorOptions extends ArmyErrorOptions {
  /** The ledger entry of a stream aborted after its response began (its usage is estimated). */
  entry?: LedgerEntry;
}

/**
 * The operation was cancelled through an AbortSignal. A stream aborted after
 * its response began was billed by the API: `entry` is its (estimated) ledger
 * entry. Before the response began nothing was billed and `entry` is undefined.
 */
export class AbortError extends ArmyError {
  readonly entry: LedgerEntry | undefined;

  constructor(message = 'The operation was aborted.', options: AbortErrorOptions = {}) {
    super(ERROR_CODES.ABORTED, message, options);
    this.entry = options.entry;
  }
}

/** Builds the standard "Expected `x` to be ..., got ..." error for a bad option. */
export function invalidOption(name: string, expected: string, got: unknown): ArmyError {
  let shown: string;
  try {
    shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  } catch {
    shown = typeof got;
  }
  return new ArmyError(
    ERROR_CODES.INVALID_OPTIONS,
    `Expected \`${name}\` to be ${expected}, got ${shown}.`,
  );
}
