import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages/messages';
import type { Attribution } from '../attribution.js';
import type { Budget } from '../budget.js';
import type { ModelCatalog } from '../catalog/model-catalog.js';
import type { ArmyEvents } from '../events.js';
import type { CostLedger } from '../ledger/cost-ledger.js';
import type {
  BatchItem,
  BatchOptions,
  BatchRun,
  ReconcileBatchOptions,
  ResumeBatchOptions,
} from './batch-types.js';
import type { CallOptions, GatewayRequest, GatewayResponse, GatewayStream } from './gateway.js';

/**
 * What a worker, router or orchestrator needs from the door to the API.
 * `Gateway` implements it; a router, a batch-collecting gateway or a
 * journal can wrap or replace one without touching the code that calls it
 * (the seam openai-agents-js's Runner has in `Model`).
 */
export interface ModelGateway {
  /** Sends one Messages request and returns the billed response. */
  call(
    request: GatewayRequest,
    attribution: Attribution,
    options?: CallOptions,
  ): Promise<GatewayResponse>;
  /** Sends one streaming Messages request. */
  stream(request: GatewayRequest, attribution: Attribution, options?: CallOptions): GatewayStream;
  /** The worst-case cost the budget would reserve for a request, nano-USD. */
  worstCase(request: GatewayRequest): number;
  /** Counts a request's input tokens with the API (not billed). */
  countTokens(request: MessageCountTokensParams, options?: CallOptions): Promise<number>;
  /** Where `call:*` (and the callers' `task:*`, `run:*`) events go. */
  readonly events: ArmyEvents;
  /** Records every billed call. */
  readonly ledger: CostLedger;
  /** Prices and model ids the gateway resolves requests with. */
  readonly catalog: ModelCatalog;
  /** The hard caps calls reserve against, when there are any. */
  readonly budget: Budget | undefined;
}

/** A gateway that can also send Message Batches (`Gateway` implements it). */
export interface BatchGateway extends ModelGateway {
  /** Sends requests as Message Batches at the batch tier; see `Gateway.batch`. */
  batch(items: readonly BatchItem[], options?: BatchOptions): BatchRun;
  /** Collects a batch submitted earlier without resubmitting; see `Gateway.resumeBatch`. */
  resumeBatch(
    batchId: string,
    attributionsByCustomId:
      | Readonly<Record<string, Attribution>>
      | ReadonlyMap<string, Attribution>,
    options?: ResumeBatchOptions,
  ): BatchRun;
  /**
   * Finds and collects the batch of a create whose id was never persisted
   * (`onCreating` ran, `onSubmitted` did not); see `Gateway.reconcileBatch`.
   * Optional: a gateway without it cannot tell, and its caller creates again.
   */
  reconcileBatch?(
    attributionsByCustomId:
      | Readonly<Record<string, Attribution>>
      | ReadonlyMap<string, Attribution>,
    options: ReconcileBatchOptions,
  ): BatchRun;
}
