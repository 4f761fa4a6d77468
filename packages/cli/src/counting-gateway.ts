import type {
  Attribution,
  BatchGateway,
  CallOptions,
  GatewayRequest,
  GatewayResponse,
  GatewayStream,
  ModelGateway,
} from '@haiku-army/core';

/**
 * A gateway that delegates every call to another and counts the calls in
 * flight, for the live view (core's events mark a call's end, not its start).
 * Message Batches pass through when the inner gateway has them.
 */
export class CountingGateway implements ModelGateway {
  readonly #inner: ModelGateway;
  #inFlight = 0;
  /** Present only when the inner gateway sends Message Batches. */
  readonly batch?: BatchGateway['batch'];
  readonly resumeBatch?: BatchGateway['resumeBatch'];
  /** Present when the inner gateway can find a lost create's batch (a resume then never creates it twice). */
  readonly reconcileBatch?: BatchGateway['reconcileBatch'];

  constructor(inner: ModelGateway) {
    this.#inner = inner;
    const batches = inner as Partial<BatchGateway>;
    if (typeof batches.batch === 'function' && typeof batches.resumeBatch === 'function') {
      this.batch = batches.batch.bind(inner);
      this.resumeBatch = batches.resumeBatch.bind(inner);
      if (typeof batches.reconcileBatch === 'function')
        this.reconcileBatch = batches.reconcileBatch.bind(inner);
    }
  }

  /** Model calls started and not yet ended. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get events() {
    return this.#inner.events;
  }
  get ledger() {
    return this.#inner.ledger;
  }
  get catalog() {
    return this.#inner.catalog;
  }
  get budget() {
    return this.#inner.budget;
  }

  worstCase(request: GatewayRequest): number {
    return this.#inner.worstCase(request);
  }

  countTokens(
    request: Parameters<ModelGateway['countTokens']>[0],
    options?: CallOptions,
  ): Promise<number> {
    return this.#inner.countTokens(request, options);
  }

  call(
    request: GatewayRequest,
    attribution: Attribution,
    options?: CallOptions,
  ): Promise<GatewayResponse> {
    const leave = this.#enter();
    try {
      return this.#inner.call(request, attribution, options).finally(leave);
    } catch (error) {
      leave();
      throw error;
    }
  }

  stream(request: GatewayRequest, attribution: Attribution, options?: CallOptions): GatewayStream {
    const leave = this.#enter();
    try {
      const stream = this.#inner.stream(request, attribution, options);
      stream.result.then(leave, leave);
      return stream;
    } catch (error) {
      leave();
      throw error;
    }
  }

  #enter(): () => void {
    this.#inFlight += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#inFlight -= 1;
    };
  }
}
