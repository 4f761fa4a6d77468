import { z } from 'zod';
import type { Reply } from '../replies.js';
import { type BatchResult, BatchStore, type StoredBatch } from './batch-store.js';
import type { EngineState } from './engine-state.js';
import { baseHeaders, errorResponse, invalidRequest, jsonResponse, notFound } from './http.js';
import { buildContent, buildMessage, buildUsage } from './message-builder.js';
import { isProblem, prepareRequest } from './prepare-request.js';
import { parseBody } from './request-schema.js';

const createSchema = z.object({
  requests: z
    .array(
      z.object({
        custom_id: z
          .string()
          .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 characters of a-z, A-Z, 0-9, _ or -'),
        params: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1, 'at least one request is required'),
});

/** `POST /v1/messages/batches`. */
export function createBatch(
  state: EngineState,
  requestId: string,
  body: unknown,
  apiBase: string,
): Response {
  const parsed = parseBody(createSchema, body);
  if (!parsed.ok) return invalidRequest(requestId, parsed.message);
  const seen = new Set<string>();
  for (const item of parsed.value.requests) {
    if (seen.has(item.custom_id)) {
      return invalidRequest(
        requestId,
        `requests: custom_id ${JSON.stringify(item.custom_id)} is used more than once.`,
      );
    }
    seen.add(item.custom_id);
  }
  const now = state.now();
  const batch: StoredBatch = {
    id: state.nextId('batch'),
    requestId,
    items: parsed.value.requests.map((item) => ({ customId: item.custom_id, params: item.params })),
    createdAt: now,
    endsAt: now + state.batchProcessingMs,
    cancelInitiatedAt: null,
    endedAt: null,
    results: null,
    processing: null,
    apiBase,
  };
  state.batches.add(batch);
  return jsonResponse(requestId, BatchStore.view(batch));
}

async function processItem(
  state: EngineState,
  batch: StoredBatch,
  customId: string,
  params: unknown,
): Promise<BatchResult> {
  const itemRequestId = state.nextId('request');
  const entry = state.transcript.record({
    requestId: itemRequestId,
    time: state.now(),
    source: 'batch',
    method: 'POST',
    path: '/v1/messages',
    headers: {},
    body: params,
    ...(typeof (params as { model?: unknown }).model === 'string'
      ? { model: (params as { model: string }).model }
      : {}),
    stream: false,
    batchId: batch.id,
    customId,
  });
  const errored = (type: string, message: string): BatchResult => ({
    type: 'errored',
    error: { type: 'error', error: { type, message }, request_id: itemRequestId },
  });
  if ((params as { stream?: unknown }).stream === true) {
    entry.status = 400;
    return errored('invalid_request_error', 'stream: streaming is not supported in batches');
  }
  const prepared = prepareRequest(state, params);
  if (isProblem(prepared)) {
    entry.status = prepared.status;
    return errored(prepared.type, prepared.message);
  }
  const fault = state.faults.takeBatch(batch.id, customId);
  if (fault === 'expired') return { type: 'expired' };
  if (fault === 'errored') {
    entry.status = 500;
    return errored('api_error', 'Internal server error (a batchFaults.errored fault of the fake).');
  }
  const { request, model, layout } = prepared;
  // Batches share the prompt cache (best effort in the real API) but not the rate limits.
  const accounting = state.cache.account(model.id, model.minCacheableTokens, layout);
  if (accounting.hit) state.cache.touch(model.id, accounting.hit);
  let reply: Reply;
  try {
    reply = await state.responders.respond(request, {
      model,
      requestId: itemRequestId,
      batch: { id: batch.id, customId },
    });
  } catch (error) {
    entry.status = 500;
    return errored(
      'api_error',
      `The scripted responder threw: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (reply.type === 'expired') return { type: 'expired' };
  if (reply.type === 'error') {
    entry.status = reply.status;
    return errored(reply.errorType, reply.message);
  }
  state.cache.commit(model.id, accounting.writes);
  const built = buildContent(reply, request, () => state.nextId('tool_use'));
  const usage = buildUsage(accounting, built.outputTokens, 'batch');
  const message = buildMessage({ id: state.nextId('message'), model: request.model, built, usage });
  state.billing.record({
    requestId: batch.requestId,
    messageId: message.id,
    model: model.id,
    usage,
    cacheBreakdown: accounting.breakdown,
    time: state.now(),
    batchId: batch.id,
    customId,
    stream: false,
  });
  entry.status = 200;
  return { type: 'succeeded', message };
}

/**
 * Ends a batch once its processing time has passed on the fake's clock (or at
 * once when a cancel was requested). Processing is lazy: it happens on the
 * first retrieve, list or results call after that time.
 */
async function advance(state: EngineState, batch: StoredBatch): Promise<void> {
  if (batch.results !== null) return;
  const canceling = batch.cancelInitiatedAt !== null;
  if (!canceling && state.now() < batch.endsAt) return;
  if (!batch.processing) {
    batch.processing = (async () => {
      const results: { customId: string; result: BatchResult }[] = [];
      for (const item of batch.items) {
        const result: BatchResult = canceling
          ? { type: 'canceled' }
          : await processItem(state, batch, item.customId, item.params);
        results.push({ customId: item.customId, result });
      }
      batch.results = results;
      batch.endedAt = state.now();
    })();
  }
  await batch.processing;
}

/** Results per piece of a results body. */
const RESULT_LINES_PER_PIECE = 500;

/**
 * A batch's results as a JSONL body, serialised a piece at a time as the
 * client reads (pull), so a 100,000-request batch is never one string.
 */
function resultLines(results: readonly { customId: string; result: BatchResult }[]) {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next >= results.length) {
        controller.close();
        return;
      }
      const piece = results.slice(next, next + RESULT_LINES_PER_PIECE);
      next += piece.length;
      let text = '';
      for (const { customId, result } of piece)
        text += `${JSON.stringify({ custom_id: customId, result })}\n`;
      controller.enqueue(encoder.encode(text));
    },
  });
}

/** Where a batches request arrived. */
export interface BatchesRoute {
  method: string;
  /** Path segments after `/v1/messages/batches`. */
  rest: string[];
  url: URL;
  /** The API's base URL as the client sees it (origin and any base path), for `results_url`. */
  apiBase: string;
}

/** Routes `/v1/messages/batches...`. */
export async function handleBatches(
  state: EngineState,
  requestId: string,
  route: BatchesRoute,
  body: unknown,
): Promise<Response> {
  const { method, rest, url } = route;
  if (rest.length === 0) {
    if (method === 'POST') return createBatch(state, requestId, body, route.apiBase);
    if (method === 'GET') {
      const all = state.batches.list();
      for (const batch of all) await advance(state, batch);
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
      const afterId = url.searchParams.get('after_id');
      const beforeId = url.searchParams.get('before_id');
      let start = 0;
      let end = all.length;
      if (afterId) start = all.findIndex((batch) => batch.id === afterId) + 1;
      if (beforeId)
        end = Math.max(
          0,
          all.findIndex((batch) => batch.id === beforeId),
        );
      const window = beforeId
        ? all.slice(Math.max(start, end - limit), end)
        : all.slice(start, start + limit);
      const data = window.map((batch) => BatchStore.view(batch));
      const hasMore = beforeId ? end - limit > start : start + limit < end;
      return jsonResponse(requestId, {
        data,
        has_more: hasMore,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
    }
  }
  const batch = rest[0] ? state.batches.get(rest[0]) : undefined;
  if (!batch) return notFound(requestId, `message_batch: ${rest[0] ?? ''} not found`);
  if (rest.length === 1 && method === 'GET') {
    await advance(state, batch);
    return jsonResponse(requestId, BatchStore.view(batch));
  }
  if (rest.length === 1 && method === 'DELETE') {
    await advance(state, batch);
    if (batch.results === null) {
      return invalidRequest(
        requestId,
        `Batch ${batch.id} cannot be deleted while it is processing; cancel it first.`,
      );
    }
    state.batches.delete(batch.id);
    return jsonResponse(requestId, { id: batch.id, type: 'message_batch_deleted' });
  }
  if (rest[1] === 'cancel' && method === 'POST') {
    // A batch whose processing time has passed has ended; cancelling it changes nothing.
    await advance(state, batch);
    if (batch.results === null && batch.cancelInitiatedAt === null) {
      batch.cancelInitiatedAt = state.now();
    }
    return jsonResponse(requestId, BatchStore.view(batch));
  }
  if (rest[1] === 'results' && method === 'GET') {
    await advance(state, batch);
    if (batch.results === null) {
      return errorResponse(requestId, {
        status: 404,
        type: 'not_found_error',
        message: `Batch ${batch.id} has not ended yet; results are available once processing_status is "ended".`,
      });
    }
    const headers = baseHeaders(requestId);
    headers.set('content-type', 'application/x-jsonl');
    return new Response(resultLines(batch.results), { status: 200, headers });
  }
  return notFound(requestId, `Not found: ${method} ${url.pathname}`);
}
