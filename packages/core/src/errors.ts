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
  /** No API key and no client: the gateway cannot authenticate. Caller mistake. */
  MISSING_API_KEY: 'MISSING_API_KEY',
  /**
   * A budgeted request whose billed input cannot be bounded before it is sent
   * (server tools, MCP servers; or a document not yet counted). Caller mistake.
   */
  UNBOUNDED_COST: 'UNBOUNDED_COST',
  /** An object was used in a way its state does not allow (e.g. a stream iterated twice). Caller mistake. */
  INVALID_STATE: 'INVALID_STATE',
  /** A plan failed validation (schema, ids, dependencies, cycle, size), after repair. Caller or planner mistake. */
  PLAN_INVALID: 'PLAN_INVALID',
  /** No run with that id in the journal directory (`resume`, `loadRun`). Caller mistake. */
  RUN_NOT_FOUND: 'RUN_NOT_FOUND',
  /** The run journal's directory cannot be created or written. Caller mistake (the `journal` option or the disk's permissions). */
  JOURNAL_NOT_WRITABLE: 'JOURNAL_NOT_WRITABLE',
  /** A run journal was written in another format version, or is not a journal. Caller mistake. */
  JOURNAL_INCOMPATIBLE: 'JOURNAL_INCOMPATIBLE',
  /**
   * Batch mode: a batch create was lost on the wire and the API's batches
   * could not be listed, so it may have been submitted and billed; not
   * retried blind (that could pay twice). System failure.
   */
  BATCH_MAYBE_SUBMITTED: 'BATCH_MAYBE_SUBMITTED',
  /**
   * A run backend (e.g. the Redis of `@haiku-army/redis`) cannot be reached,
   * so nothing more is enqueued, reserved or acknowledged. System failure.
   */
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
} as const;

/** One of {@link ERROR_CODES}. */
export type ArmyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Whose fault an error is: the caller's (`'user'`) or the system's (`'system'`). */
export type ArmyErrorKind = 'user' | 'system';

/**
 * One table from code to kind. A `'user'` error is fixed by changing the
 * call (options, model id, request, budget); a `'system'` error by the
 * environment (the API, the network, the disk) or by trying again.
 */
export const ERROR_KINDS: Readonly<Record<ArmyErrorCode, ArmyErrorKind>> = Object.freeze({
  INVALID_OPTIONS: 'user',
  UNKNOWN_MODEL: 'user',
  BUDGET_EXCEEDED: 'system',
  API_REQUEST_REJECTED: 'user',
  API_UNAVAILABLE: 'system',
  ABORTED: 'user',
  LEDGER_STORE_FAILED: 'system',
  RATE_LIMIT_UNSATISFIABLE: 'user',
  MISSING_API_KEY: 'user',
  UNBOUNDED_COST: 'user',
  INVALID_STATE: 'user',
  BATCH_EMPTY: 'user',
  BATCH_DUPLICATE_ID: 'user',
  BATCH_NOT_FOUND: 'user',
  BATCH_ITEM_TOO_LARGE: 'user',
  PLAN_INVALID: 'user',
  RUN_NOT_FOUND: 'user',
  JOURNAL_NOT_WRITABLE: 'user',
  JOURNAL_INCOMPATIBLE: 'user',
  BATCH_MAYBE_SUBMITTED: 'system',
  BACKEND_UNAVAILABLE: 'system',
});

/**
 * Whether an error code is the caller's mistake or a system failure.
 * Unknown codes (from a newer or older install) are `'system'`.
 *
 * @example errorKind('UNKNOWN_MODEL') === 'user'
 */
export function errorKind(code: string): ArmyErrorKind {
  return (ERROR_KINDS as Record<string, ArmyErrorKind>)[code] ?? 'system';
}

/**
 * Marks every ArmyError, so {@link ArmyError.is} recognises one thrown by a
 * second copy of this package (duplicate installs) where `instanceof` fails.
 */
const ARMY_ERROR_MARKER = Symbol.for('haiku-army.error');

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
    Object.defineProperty(this, ARMY_ERROR_MARKER, { value: true });
  }

  /** Whose fault it is, from {@link ERROR_KINDS}. */
  get kind(): ArmyErrorKind {
    return errorKind(this.code);
  }

  /**
   * True when `value` is an ArmyError (from this or any other installed copy
   * of `@haiku-army/core`), optionally with the given code.
   */
  static is(value: unknown, code?: ArmyErrorCode): value is ArmyError {
    if (typeof value !== 'object' || value === null) return false;
    const marked =
      value instanceof ArmyError ||
      (value as { [ARMY_ERROR_MARKER]?: unknown })[ARMY_ERROR_MARKER] === true;
    return marked && (code === undefined || (value as { code?: unknown }).code === code);
  }
}

/** Which cap a {@link BudgetExceededError} hit. */
export type BudgetScope = 'run' | 'task' | 'day' | 'month';

/** What a refused call's reservation was made of, in the caller's terms. */
export interface ReservationBreakdown {
  /** Input tokens reserved for. */
  inputTokens: number;
  /**
   * How `inputTokens` was found: `bytes` (the UTF-8 size bound plus
   * allowances for images and tools), `counted` (the API's `count_tokens`),
   * or `estimate` (the heuristic, with `reservation: 'estimate'`).
   */
  inputBound: 'bytes' | 'counted' | 'estimate';
  /** Output tokens the call asked for. */
  outputTokens: number;
  /** The option that sets the output allowance, as the caller knows it. @default 'max_tokens' */
  outputLabel: string;
  /** The smallest output allowance the gateway would have lowered it to. */
  minOutputTokens: number;
  /** nano-USD of the reservation that is input (at the dearest price it could be billed at). */
  inputCost: number;
  /** nano-USD per output token at the prices the input implies. */
  outputPrice: number;
}

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
  /** Of `spent`, what calls still in flight had reserved, nano-USD. @default 0 */
  reserved?: number;
  /** The smallest reservation that would have been accepted (a lowered output allowance), nano-USD. @default requested */
  minimum?: number;
  /** What the reservation was made of, when a gateway call made it. */
  breakdown?: ReservationBreakdown;
}

function describeRequest(details: BudgetExceededDetails): string {
  const b = details.breakdown;
  if (!b) return `requested ${details.requested}`;
  const how =
    b.inputBound === 'counted'
      ? 'counted with count_tokens'
      : b.inputBound === 'bytes'
        ? 'an upper bound from the request size'
        : 'an estimate';
  const least = details.minimum ?? details.requested;
  const lowered =
    b.minOutputTokens < b.outputTokens
      ? `; even with ${b.outputLabel} lowered to ${b.minOutputTokens} it needs ${least}`
      : '';
  return (
    `requested ${details.requested} = ${b.inputTokens} input tokens (${how}) for ${b.inputCost} ` +
    `+ ${b.outputLabel} ${b.outputTokens} at ${b.outputPrice} per output token${lowered}`
  );
}

/** A reservation would take a scope over its hard cap, even with nothing else in flight. */
export class BudgetExceededError extends ArmyError {
  readonly scope: BudgetScope;
  readonly limit: number;
  readonly spent: number;
  readonly requested: number;
  readonly taskId: string | undefined;
  readonly reserved: number;
  readonly minimum: number;
  readonly breakdown: ReservationBreakdown | undefined;

  constructor(details: BudgetExceededDetails, options: ArmyErrorOptions = {}) {
    const where = details.scope === 'task' ? `task "${details.taskId}"` : `${details.scope}`;
    const reserved = details.reserved ?? 0;
    const inFlight = reserved > 0 ? ` (${reserved} of it reserved by calls in flight)` : '';
    const label = details.breakdown?.outputLabel ?? 'max_tokens';
    super(
      ERROR_CODES.BUDGET_EXCEEDED,
      `Budget exceeded for ${where}: limit ${details.limit} nano-USD, already committed ${details.spent}${inFlight}, ` +
        `${describeRequest(details)}. Raise the ${details.scope} limit, lower ${label}, or split the work.`,
      options,
    );
    this.scope = details.scope;
    this.limit = details.limit;
    this.spent = details.spent;
    this.requested = details.requested;
    this.taskId = details.taskId;
    this.reserved = reserved;
    this.minimum = details.minimum ?? details.requested;
    this.breakdown = details.breakdown;
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

/**
 * The gateway has no way to authenticate: no `apiKey`, no
 * `ANTHROPIC_API_KEY` and no `client`. Thrown by the first call, at once.
 */
export class MissingApiKeyError extends ArmyError {
  constructor() {
    super(
      ERROR_CODES.MISSING_API_KEY,
      'No Anthropic API key: pass `apiKey` to createGateway() or set ANTHROPIC_API_KEY (or pass your own `client`). ' +
        "To run against the fake API instead, start it (`startFakeAnthropic()` from @haiku-army/testing) and pass `{ baseURL: fake.url, apiKey: 'test-key' }`, " +
        'or set ANTHROPIC_BASE_URL to its URL and ANTHROPIC_API_KEY to any value.',
    );
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
