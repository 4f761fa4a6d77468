import { HttpResponse, http, type RequestHandler } from 'msw';
import { BillingLog } from './billing-log.js';
import { FaultController } from './faults.js';
import { BatchStore } from './internal/batch-store.js';
import { FakeAnthropicEngine } from './internal/engine.js';
import type { EngineState } from './internal/engine-state.js';
import { createIdGenerator } from './internal/ids.js';
import { canonicalModel } from './internal/model-key.js';
import { resolveOptions } from './internal/resolve-options.js';
import { ResponderRegistry } from './internal/responder-registry.js';
import type { FakeAnthropicOptions } from './options.js';
import { PromptCache } from './prompt-cache.js';
import { createRandom } from './random.js';
import { RateLimits } from './rate-limits.js';
import type { Responder } from './responder.js';
import { Transcript } from './transcript.js';

/** A fake Anthropic API, before it is attached to msw or a port. */
export interface FakeAnthropic {
  /** The base URL the msw `handlers` answer on. */
  readonly baseURL: string;
  /** msw request handlers; pass them to `setupServer(...)` or `server.use(...)`. */
  readonly handlers: RequestHandler[];
  /** Every billed response. */
  readonly billing: BillingLog;
  /** Every request received. */
  readonly transcript: Transcript;
  /** Fault queue and random fault rates. */
  readonly faults: FaultController;
  /** Per-model rate limits. */
  readonly limits: RateLimits;
  /** The prompt cache. */
  readonly cache: PromptCache;
  /** Sets the responder of a model (id as sent, or canonical); an unknown model throws. */
  script(model: string, responder: Responder): void;
  /** Adds a named responder for `route`. */
  define(name: string, responder: Responder): void;
  /** Answers one Web `Request` (what the handlers and the HTTP server call). */
  handle(request: Request): Promise<Response>;
  /**
   * Clears transcript, billing, cache, fault queue, batches, ids and call
   * counts, refills every bucket and restarts every seeded random stream.
   */
  reset(): void;
}

/**
 * Creates a fake Anthropic API. Use `handlers` with msw, `handle()` directly,
 * or {@link startFakeAnthropic} for a real HTTP server.
 *
 * @example
 * const fake = createFakeAnthropic({ models: { 'claude-haiku-5-5': () => reply.text('hi') } });
 * const server = setupServer(...fake.handlers);
 */
export function createFakeAnthropic(options: FakeAnthropicOptions = {}): FakeAnthropic {
  const resolved = resolveOptions(options);
  const { catalog, now } = resolved;
  const random = createRandom(resolved.seed);
  const ids = createIdGenerator(options.generateId);
  const state: EngineState = {
    catalog,
    now,
    sleep: resolved.sleep,
    random: random.fork('latency'),
    nextId: (kind) => ids.next(kind),
    cache: new PromptCache({ now }),
    limits: new RateLimits({
      now,
      catalog,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.defaultLimits ? { defaultLimits: options.defaultLimits } : {}),
    }),
    faults: new FaultController({
      random,
      catalog,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.batchFaults ? { batchFaults: options.batchFaults } : {}),
    }),
    billing: new BillingLog({ catalog }),
    transcript: new Transcript(),
    responders: new ResponderRegistry({
      random: random.fork('responders'),
      ...(options.models ? { models: options.models } : {}),
      ...(options.responders ? { responders: options.responders } : {}),
      ...(options.route ? { route: options.route } : {}),
      ...(options.defaultResponder ? { defaultResponder: options.defaultResponder } : {}),
    }),
    batches: new BatchStore(),
    latency: resolved.latency,
    apiKeys: resolved.apiKeys,
    batchProcessingMs: resolved.batchProcessingMs,
    arrivals: new Map(),
    basePath: resolved.basePath,
  };
  const engine = new FakeAnthropicEngine(state);
  const handlers = [
    http.all(`${resolved.baseURL}/*`, async ({ request }) => {
      const response = await engine.handle(request);
      // msw turns `Response.error()` into a network error (a dropped connection).
      return response.type === 'error' ? HttpResponse.error() : response;
    }),
  ];

  return {
    baseURL: resolved.baseURL,
    handlers,
    billing: state.billing,
    transcript: state.transcript,
    faults: state.faults,
    limits: state.limits,
    cache: state.cache,
    script(model, responder) {
      canonicalModel(catalog, 'script(model)', model);
      state.responders.script(model, responder);
    },
    define: (name, responder) => state.responders.define(name, responder),
    handle: (request) => engine.handle(request),
    reset() {
      state.transcript.clear();
      state.billing.clear();
      state.cache.clear();
      state.faults.clear();
      state.faults.resetRandom();
      state.limits.reset();
      state.batches.clear();
      state.arrivals.clear();
      // Every seeded stream restarts, so a run after reset() replays exactly.
      state.random = random.fork('latency');
      state.responders.reset(random.fork('responders'));
      ids.reset();
    },
  };
}
