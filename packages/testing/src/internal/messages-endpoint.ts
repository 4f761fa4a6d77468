import type { Fault } from '../faults.js';
import { latencyFor, sampleLatency } from '../latency.js';
import { errorTypeForStatus } from '../replies.js';
import type { Message } from '../wire-types.js';
import type { EngineState } from './engine-state.js';
import { baseHeaders, errorResponse, jsonResponse } from './http.js';
import { buildContent, buildMessage, buildUsage } from './message-builder.js';
import { isProblem, prepareRequest } from './prepare-request.js';
import { encodeEvent, messageEvents } from './sse.js';

function faultResponse(
  requestId: string,
  fault: Fault,
  headers: Record<string, string>,
): Response | undefined {
  switch (fault.kind) {
    case 'rate_limit':
      return errorResponse(requestId, {
        status: 429,
        type: 'rate_limit_error',
        message: 'Simulated rate limit (injected fault).',
        headers,
        retryAfterMs: fault.retryAfterMs ?? 1000,
      });
    case 'overloaded':
      return errorResponse(requestId, {
        status: 529,
        type: 'overloaded_error',
        message: 'Overloaded (injected fault).',
        headers,
        ...(fault.retryAfterMs !== undefined ? { retryAfterMs: fault.retryAfterMs } : {}),
      });
    case 'server_error': {
      const status = fault.status ?? 500;
      return errorResponse(requestId, {
        status,
        type: errorTypeForStatus(status),
        message: 'Internal server error (injected fault).',
        headers,
      });
    }
    case 'invalid_request':
      return errorResponse(requestId, {
        status: 400,
        type: 'invalid_request_error',
        message: fault.message ?? 'Invalid request (injected fault).',
        headers,
      });
    case 'disconnect':
      return Response.error();
    default:
      return undefined;
  }
}

/** `POST /v1/messages`: JSON or SSE. */
export async function createMessage(
  state: EngineState,
  requestId: string,
  body: unknown,
): Promise<Response> {
  const prepared = prepareRequest(state, body);
  if (isProblem(prepared)) return errorResponse(requestId, prepared);
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

  const accounting = state.cache.account(model.id, model.minCacheableTokens, layout);
  const acquired = state.limits.acquire(model.id, {
    inputTokens:
      accounting.inputTokens + accounting.cacheWrite5mTokens + accounting.cacheWrite1hTokens,
    maxTokens: request.max_tokens,
  });
  if (!acquired.ok) {
    return errorResponse(requestId, {
      status: 429,
      type: 'rate_limit_error',
      message: acquired.message,
      headers: acquired.headers,
      retryAfterMs: acquired.retryAfterMs,
      retryAfterSecondsOnly: true,
    });
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
    return errorResponse(requestId, {
      status: 500,
      type: 'api_error',
      message: `The scripted responder for ${model.id} threw: ${error instanceof Error ? error.message : String(error)}`,
      headers: state.limits.headers(model.id),
    });
  }
  if (reply.type !== 'message') {
    settle(0);
    if (reply.type === 'expired') {
      return errorResponse(requestId, {
        status: 500,
        type: 'api_error',
        message: '`reply.expired()` only applies to batch requests.',
        headers: state.limits.headers(model.id),
      });
    }
    return errorResponse(requestId, {
      status: reply.status,
      type: reply.errorType,
      message: reply.message,
      headers: state.limits.headers(model.id),
      ...(reply.retryAfterMs !== undefined ? { retryAfterMs: reply.retryAfterMs } : {}),
    });
  }

  const built = buildContent(reply, request, () => state.nextId('tool_use'));
  const usage = buildUsage(accounting, built.outputTokens, 'standard');
  const message = buildMessage({ id: state.nextId('message'), model: request.model, built, usage });
  const latency = latencyFor(state.latency, model.id);
  const firstByteMs = sampleLatency(latency.firstByte, state.random);
  const perTokenMs = latency.perOutputTokenMs ?? 0;

  const bill = () =>
    state.billing.record({
      requestId,
      messageId: message.id,
      model: model.id,
      usage,
      time: state.now(),
      stream: streaming,
    });

  if (!streaming) {
    const delay = firstByteMs + perTokenMs * built.outputTokens;
    if (delay > 0) await state.sleep(delay);
    // The response begins now: its cache writes become readable.
    state.cache.commit(model.id, accounting.writes);
    settle(built.outputTokens);
    bill();
    return jsonResponse(requestId, message, { headers: state.limits.headers(model.id) });
  }

  if (firstByteMs > 0) await state.sleep(firstByteMs);
  const body$ = sseBody(state, message, {
    fault,
    perTokenMs,
    onBegin: () => state.cache.commit(model.id, accounting.writes),
    onEnd: (outputTokens, complete) => {
      settle(outputTokens);
      if (complete) bill();
    },
  });
  const headers = baseHeaders(requestId, state.limits.headers(model.id));
  headers.set('content-type', 'text/event-stream; charset=utf-8');
  headers.set('cache-control', 'no-cache');
  return new Response(body$, { status: 200, headers });
}

function sseBody(
  state: EngineState,
  message: Message,
  options: {
    fault: Fault | undefined;
    perTokenMs: number;
    onBegin: () => void;
    onEnd: (outputTokens: number, complete: boolean) => void;
  },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const events = messageEvents(message);
  const fault =
    options.fault?.kind === 'stream_cut' || options.fault?.kind === 'stream_error_event'
      ? options.fault
      : undefined;
  const breakAt = fault
    ? Math.min(events.length - 1, Math.max(1, fault.afterEvents ?? Math.floor(events.length / 2)))
    : -1;
  let index = 0;
  let sentTokens = 0;
  // Pull-based with no buffering: an event is produced only when the client
  // reads, so everything before a simulated cut has really been delivered.
  return new ReadableStream<Uint8Array>(
    {
      start() {
        // The response has begun: its cache writes become readable.
        options.onBegin();
      },
      async pull(controller) {
        if (index === breakAt && fault) {
          index = events.length + 1;
          options.onEnd(sentTokens, false);
          if (fault.kind === 'stream_cut') {
            controller.error(new Error('Simulated dropped connection (stream_cut fault).'));
            return;
          }
          controller.enqueue(
            encoder.encode(
              encodeEvent('error', {
                type: 'error',
                error: { type: 'overloaded_error', message: 'Overloaded (injected stream fault).' },
              }),
            ),
          );
          controller.close();
          return;
        }
        const event = events[index];
        index += 1;
        if (!event) {
          controller.close();
          return;
        }
        if (event.event === 'message_stop') options.onEnd(message.usage.output_tokens, true);
        controller.enqueue(encoder.encode(encodeEvent(event.event, event.data)));
        sentTokens += event.tokens;
        if (event.tokens > 0 && options.perTokenMs > 0) {
          await state.sleep(event.tokens * options.perTokenMs);
        }
      },
      cancel() {
        // The client went away: settle what was sent, bill nothing (no-op after message_stop).
        options.onEnd(sentTokens, false);
      },
    },
    { highWaterMark: 0 },
  );
}
