import type { ModelInfo } from '@haiku-army/core';
import { DEFAULT_FIRST_BYTE_HOLD_MAX_MS } from '../constants.js';
import { latencyFor, sampleLatency } from '../latency.js';
import type { EngineState } from './engine-state.js';
import { faultResponse } from './fault-response.js';
import { baseHeaders, errorResponse, jsonResponse } from './http.js';
import { buildContent, buildMessage, buildUsage } from './message-builder.js';
import { messageStream } from './message-stream.js';
import { isProblem, prepareRequest } from './prepare-request.js';
import type { Breakpoint } from './prompt-blocks.js';

/** Most prefixes whose writers the default first-byte hold keeps counting. */
const ARRIVALS_KEPT = 10_000;

/** How many requests that write each prefix have arrived (keys: model and prefix hash). */
function writersSeen(state: EngineState, model: ModelInfo, writes: readonly Breakpoint[]): number {
  let total = 0;
  for (const write of writes) total += state.arrivals.get(`${model.id}:${write.hash}`) ?? 0;
  return total;
}

/**
 * Waits for the first byte. With the default latency, a response that writes
 * the cache waits again while more requests writing the same prefix keep
 * arriving (up to {@link DEFAULT_FIRST_BYTE_HOLD_MAX_MS}): requests sent
 * together begin together, however slowly a busy client delivers them.
 */
async function waitFirstByte(
  state: EngineState,
  model: ModelInfo,
  writes: readonly Breakpoint[],
  options: { ms: number; hold: boolean; extraMs?: number },
): Promise<void> {
  const { ms, extraMs = 0 } = options;
  if (!options.hold || ms <= 0 || writes.length === 0) {
    if (ms + extraMs > 0) await state.sleep(ms + extraMs);
    return;
  }
  let seen = writersSeen(state, model, writes);
  await state.sleep(ms);
  for (let waited = ms; waited < DEFAULT_FIRST_BYTE_HOLD_MAX_MS; waited += ms) {
    const now = writersSeen(state, model, writes);
    if (now === seen) break;
    seen = now;
    await state.sleep(ms);
  }
  if (extraMs > 0) await state.sleep(extraMs);
}

/** `POST /v1/messages`: JSON or SSE. */
export async function createMessage(
  state: EngineState,
  requestId: string,
  body: unknown,
): Promise<Response> {
  const prepared = prepareRequest(state, body);
  if (isProblem(prepared)) {
    // A refusal for a known model still reports that model's limits.
    const named = (body as { model?: unknown } | undefined)?.model;
    const known = typeof named === 'string' ? state.catalog.find(named) : undefined;
    return errorResponse(requestId, {
      ...prepared,
      ...(known ? { headers: state.limits.headers(known.id) } : {}),
    });
  }
  const { request, model, layout } = prepared;
  const streaming = request.stream === true;

  const fault = state.faults.take({
    model: request.model,
    canonicalModel: model.id,
    stream: streaming,
  });
  if (fault) {
    const early = faultResponse(requestId, fault, state.limits.headers(model.id));
    if (early) return early;
  }
  // A stream fault applies once the 200 is sent; a request refused before
  // that gives a queued one back for the next streaming request.
  const refuse = (response: Response) => {
    if (fault) state.faults.restore(fault);
    return response;
  };

  const accounting = state.cache.account(model.id, model.minCacheableTokens, layout);
  // Bounded memory for a long-running fake: forgetting the counts only ends a hold early.
  if (state.arrivals.size > ARRIVALS_KEPT) state.arrivals.clear();
  for (const write of accounting.writes) {
    const key = `${model.id}:${write.hash}`;
    state.arrivals.set(key, (state.arrivals.get(key) ?? 0) + 1);
  }
  const acquired = state.limits.acquire(model.id, {
    inputTokens:
      accounting.inputTokens + accounting.cacheWrite5mTokens + accounting.cacheWrite1hTokens,
    maxTokens: request.max_tokens,
  });
  if (!acquired.ok) {
    return refuse(
      errorResponse(requestId, {
        status: 429,
        type: 'rate_limit_error',
        message: acquired.message,
        headers: acquired.headers,
        retryAfterMs: acquired.retryAfterMs,
        retryAfterSecondsOnly: true,
      }),
    );
  }
  if (accounting.hit) state.cache.touch(model.id, accounting.hit);

  let settled = false;
  const settle = (outputTokens: number) => {
    if (settled) return;
    settled = true;
    state.limits.settle(model.id, request.max_tokens, outputTokens);
  };

  let reply: Awaited<ReturnType<typeof state.responders.respond>>;
  try {
    reply = await state.responders.respond(request, { model, requestId });
  } catch (error) {
    settle(0);
    return refuse(
      errorResponse(requestId, {
        status: 500,
        type: 'api_error',
        message: `The scripted responder for ${model.id} threw: ${error instanceof Error ? error.message : String(error)}`,
        headers: state.limits.headers(model.id),
      }),
    );
  }
  if (reply.type !== 'message') {
    settle(0);
    if (reply.type === 'expired') {
      return refuse(
        errorResponse(requestId, {
          status: 500,
          type: 'api_error',
          message: '`reply.expired()` only applies to batch requests.',
          headers: state.limits.headers(model.id),
        }),
      );
    }
    return refuse(
      errorResponse(requestId, {
        status: reply.status,
        type: reply.errorType,
        message: reply.message,
        headers: state.limits.headers(model.id),
        ...(reply.retryAfterMs !== undefined ? { retryAfterMs: reply.retryAfterMs } : {}),
      }),
    );
  }

  const built = buildContent(reply, request, () => state.nextId('tool_use'));
  const usage = buildUsage(accounting, built.outputTokens, 'standard');
  const message = buildMessage({ id: state.nextId('message'), model: request.model, built, usage });
  const latency = latencyFor(state.latency, model);
  const firstByteMs = sampleLatency(latency.firstByte, state.random);
  const perTokenMs = latency.perOutputTokenMs ?? 0;

  const bill = (aborted?: { outputTokens: number }) =>
    state.billing.record({
      requestId,
      messageId: message.id,
      model: model.id,
      // An aborted stream bills its input and what was sent, never zero output
      // (message_start already reported one output token).
      usage: aborted ? { ...usage, output_tokens: Math.max(1, aborted.outputTokens) } : usage,
      cacheBreakdown: accounting.breakdown,
      time: state.now(),
      stream: streaming,
      ...(aborted ? { aborted: true as const } : {}),
    });

  if (!streaming) {
    await waitFirstByte(state, model, accounting.writes, {
      ms: firstByteMs,
      hold: latency.isDefault,
      extraMs: perTokenMs * built.outputTokens,
    });
    // The response begins now: its cache writes become readable.
    state.cache.commit(model.id, accounting.writes);
    settle(built.outputTokens);
    bill();
    return jsonResponse(requestId, message, { headers: state.limits.headers(model.id) });
  }

  await waitFirstByte(state, model, accounting.writes, {
    ms: firstByteMs,
    hold: latency.isDefault,
  });
  const stream = messageStream(message, {
    fault,
    perTokenMs,
    sleep: state.sleep,
    // The response has begun (message_start): its cache writes become readable.
    onBegin: () => state.cache.commit(model.id, accounting.writes),
    onEnd: (outputTokens, outcome) => {
      settle(outputTokens);
      if (outcome === 'complete') bill();
      else if (outcome === 'aborted') bill({ outputTokens });
    },
  });
  const headers = baseHeaders(requestId, state.limits.headers(model.id));
  headers.set('content-type', 'text/event-stream; charset=utf-8');
  headers.set('cache-control', 'no-cache');
  return new Response(stream, { status: 200, headers });
}
