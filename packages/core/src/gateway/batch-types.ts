import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import type { Attribution } from '../attribution.js';
import type { CostBreakdown } from '../cost.js';
import type { ArmyError } from '../errors.js';
import type { BatchRequestCounts } from '../events.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import type { NanoUsd } from '../money.js';
import type { GatewayRequest } from './gateway.js';

/** The API's limit on requests in one Message Batch. */
export const BATCH_MAX_REQUESTS = 100_000;
/** The API's limit on one Message Batch's request body, bytes (256 MB). */
export const BATCH_MAX_BYTES = 256 * 1024 * 1024;
/** First wait between polls of a batch, ms. */
export const DEFAULT_BATCH_POLL_INTERVAL_MS = 5_000;
/** Longest wait between polls of a batch, ms. */
export const DEFAULT_BATCH_MAX_POLL_INTERVAL_MS = 60_000;

/** One request of a batch and the subtask it is attributed to. */
export interface BatchItem {
  /** A Messages request (no `stream`). */
  request: GatewayRequest;
  attribution: Attribution;
  /**
   * The `custom_id` to send (1-64 characters of `a-zA-Z0-9_-`).
   * @default derived from the attribution's run, task and attempt
   */
  customId?: string;
}

/** What {@link BatchOptions.onSubmitted} receives: enough to reattach with `resumeBatch`. */
export interface BatchSubmission {
  batchId: string;
  customIds: string[];
  /** The attribution of each custom id: pass it to `resumeBatch` as is. */
  attributions: Record<string, Attribution>;
}

/**
 * What {@link BatchOptions.onCreating} receives: a Message Batch about to be
 * created. Persist it (with `at`) before the create goes out, and a process
 * that dies before `onSubmitted` can still find the batch with
 * `reconcileBatch` instead of creating it again.
 */
export interface BatchCreating {
  customIds: string[];
  /** The attribution of each custom id: pass it to `reconcileBatch` as is. */
  attributions: Record<string, Attribution>;
  /** When the create is sent, ms since the epoch (the gateway's clock): `reconcileBatch`'s `since`. */
  at: number;
}

/** Options for `gateway.resumeBatch()`. */
export interface ResumeBatchOptions {
  /** Stops waiting (results not yet collected stay reserved in the budget). */
  signal?: AbortSignal;
  /** First wait between polls, ms; grows 1.5x per poll up to `maxPollIntervalMs`. @default 5000 */
  pollIntervalMs?: number;
  /** Longest wait between polls, ms. @default 60000 */
  maxPollIntervalMs?: number;
  /**
   * Ms from the call after which the gateway cancels the batches that have
   * not ended and returns what ended (requests it could not finish come back
   * `canceled`). @default no deadline
   */
  deadlineMs?: number;
  /**
   * `resumeBatch` only: the request sent under each custom id. With a budget,
   * a new process reserves each listed request's worst case at batch prices
   * before polling (all or nothing: a `BatchBudgetExceededError` says how many
   * fit) and settles each on arrival. A result whose request is not listed
   * cannot be bounded, so it is charged on arrival (a cap can then be passed,
   * and `budget:exceeded` says so). @default none
   */
  requestsByCustomId?:
    | Readonly<Record<string, GatewayRequest>>
    | ReadonlyMap<string, GatewayRequest>;
}

/** Options for `gateway.batch()`. */
export interface BatchOptions extends Omit<ResumeBatchOptions, 'requestsByCustomId'> {
  /** Requests per Message Batch (the API allows 100,000). @default 100000 */
  maxRequestsPerBatch?: number;
  /** Bytes of request body per Message Batch (the API allows 256 MB). @default 268435456 */
  maxBatchBytes?: number;
  /**
   * Called once per Message Batch created, before any polling, so a caller
   * can persist the ids and `resumeBatch` after a crash. A rejection or throw
   * is ignored (the batch is already paid for); make it durable yourself.
   */
  onSubmitted?: (submission: BatchSubmission) => void | Promise<void>;
  /**
   * Awaited before each Message Batch create is sent (once per create, not
   * per retry). A throw or rejection keeps that create from being sent: its
   * items come back `not_submitted` with the error.
   */
  onCreating?: (creating: BatchCreating) => void | Promise<void>;
}

/** Options for `gateway.reconcileBatch()`. */
export interface ReconcileBatchOptions extends ResumeBatchOptions {
  /** The create's `at` (from `onCreating`), ms since the epoch. */
  since: number;
  /** Batch ids known to be someone else's (other creates of the same run): never adopted. */
  exclude?: Iterable<string>;
  /** Called for each batch adopted, before polling it: persist it as `onSubmitted` after a create. */
  onSubmitted?: (submission: BatchSubmission) => void | Promise<void>;
}

/** A request that succeeded: billed at the batch tier and recorded in the ledger. */
export interface BatchSucceeded {
  status: 'succeeded';
  customId: string;
  attribution: Attribution;
  batchId: string;
  message: Message;
  entry: LedgerEntry;
  cost: CostBreakdown;
  /**
   * True when the ledger already held this result (collected by an earlier
   * `batch()`/`resumeBatch()`, or loaded from a durable store): `entry` is
   * that earlier entry, nothing was recorded or charged again, and its cost
   * is not in this run's `cost`.
   */
  alreadyRecorded?: true;
}

/**
 * A request that produced no message and was not billed: `errored`,
 * `expired` or `canceled` by the API, or `not_submitted` when the gateway
 * could not create its batch. Retry it interactively (`gateway.call`).
 */
export interface BatchFailed {
  /**
   * `maybe_submitted`: the create request was lost on the wire (or aborted)
   * and the gateway could not list the API's batches to find out whether it
   * was created. Its reservation stays held; do NOT retry it interactively
   * unless you have checked (`client.messages.batches.list()`) that no batch
   * holds it, or you may pay twice.
   */
  status: 'errored' | 'expired' | 'canceled' | 'not_submitted' | 'maybe_submitted';
  customId: string;
  attribution: Attribution;
  /** Undefined for `not_submitted`. */
  batchId?: string;
  /** The request (undefined when resuming: the gateway only knows the custom id). */
  request?: GatewayRequest;
  /** The API's error for `errored`, the gateway's for `not_submitted`. */
  error?: { type: string; message: string } | ArmyError;
}

/** One request's outcome. */
export type BatchOutcome = BatchSucceeded | BatchFailed;

/** What a batch run ends with. */
export interface BatchResult {
  /** Every Message Batch id involved, in submission order. */
  batchIds: string[];
  /** Every request's outcome, in the order results arrived. */
  outcomes: BatchOutcome[];
  counts: BatchRequestCounts & { not_submitted: number; maybe_submitted: number };
  /** Cost of the succeeded requests, nano-USD. */
  cost: NanoUsd;
  /** True when the deadline passed and unfinished batches were cancelled. */
  deadlineReached: boolean;
}

/** A running batch: iterate it for outcomes as results arrive, or await `result`. */
export interface BatchRun extends AsyncIterable<BatchOutcome> {
  /** Resolves once every batch has ended and its results were recorded. */
  readonly result: Promise<BatchResult>;
  /** The Message Batch ids created (or resumed) so far. */
  readonly batchIds: readonly string[];
}

export type { BatchRequestCounts };
