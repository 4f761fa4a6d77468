import { defaultCatalog } from '@haiku-army/core';
import { HttpResponse, http, type RequestHandler } from 'msw';
import { BillingLog } from './billing-log.js';
import { DEFAULT_BASE_URL, DEFAULT_BATCH_PROCESSING_MS } from './constants.js';
import { FaultController } from './faults.js';
import { BatchStore } from './internal/batch-store.js';
import { FakeAnthropicEngine } from './internal/engine.js';
import type { EngineState } from './internal/engine-state.js';
import { createIdGenerator } from './internal/ids.js';
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
  /** Sets the responder of a model (id as sent, or canonical). */
  script(model: string, responder: Responder): void;
  /** Adds a named responder for `route`. */
  define(name: string, responder: Responder): void;
  /** Answers one Web `Request` (what the handlers and the HTTP server call). */
  handle(request: Request): Promise<Response>;
  /** Clears transcript, billing, cache, fault queue, batches and ids, and refills every bucket. */
  reset(): void;
}

function checkOptions(options: FakeAnthropicOptions): void {
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new TypeError(`Expected \`seed\` to be an integer, got ${String(options.seed)}.`);
  }
  const processing = options.batchProcessingMs;
  if (processing !== undefined && !(Number.isFinite(processing) && processing >= 0)) {
    throw new TypeError(
      `Expected \`batchProcessingMs\` to be a number >= 0, got ${String(processing)}.`,
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('Expected `now` to be a function returning milliseconds.');
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates a fake Anthropic API. Use `handlers` with msw, `handle()` directly,
 * or {@link startFakeAnthropic} for a real HTTP server.
 *
 * @example
 * const fake = createFakeAnthropic({ models: { 'claude-haiku-5-5': () => reply.text('hi') } });
 * const server = setupServer(...fake.handlers);
 */
export function createFakeAnthropic(options: FakeAnthropicOptions = {}): FakeAnthropic {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const catalog = options.catalog ?? defaultCatalog;
  const random = createRandom(options.seed ?? 1);
  const ids = createIdGenerator(options.generateId);
  const state: EngineState = {
    catalog,
    now,
    sleep: options.sleep ?? defaultSleep,
    random: random.fork('latency'),
    nextId: (kind) => ids.next(kind),
    cache: new PromptCache({ now }),
    limits: new RateLimits({
      now,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.defaultLimits ? { defaultLimits: options.defaultLimits } : {}),
    }),
    faults: new FaultController({ random, ...(options.faults ? { faults: options.faults } : {}) }),
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
    latency: options.latency,
    apiKeys: options.apiKeys ? new Set(options.apiKeys) : undefined,
    batchProcessingMs: options.batchProcessingMs ?? DEFAULT_BATCH_PROCESSING_MS,
  };
  const engine = new FakeAnthropicEngine(state);
  const baseURL = (options.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const handlers = [
    http.all(`${baseURL}/*`, async ({ request }) => {
      const response = await engine.handle(request);
      // msw turns `Response.error()` into a network error (a dropped connection).
      return response.type === 'error' ? HttpResponse.error() : response;
    }),
  ];

  return {
    baseURL,
    handlers,
    billing: state.billing,
    transcript: state.transcript,
    faults: state.faults,
    limits: state.limits,
    cache: state.cache,
    script: (model, responder) => state.responders.script(model, responder),
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
      state.responders.resetCalls();
      ids.reset();
    },
  };
}
