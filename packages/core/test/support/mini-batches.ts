/**
 * A tiny in-memory Message Batches API as a `fetch` for core's batch tests:
 * create, retrieve, list (newest first), cancel and results. Batches end when
 * `end()` is called. Hooks let a test lose a create on the wire after the
 * batch was made, or fail a cancel.
 */
export interface MiniBatch {
  id: string;
  createdAt: number;
  customIds: string[];
  ended: boolean;
  cancelInitiated: boolean;
}

export interface MiniBatches {
  fetch: typeof fetch;
  batches: MiniBatch[];
  /** Requests seen, as `METHOD path`. */
  log: string[];
  /** Drop the connection after creating the next N batches. */
  dropAfterCreate: number;
  /** Fail the next N cancels with a 500. */
  failCancels: number;
  /** Fail the next N list calls with a 500. */
  failLists: number;
  end(): void;
  now: number;
}

export const BATCH_BASE_URL = 'http://mini-batches.test';

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'request-id': 'req_mini' },
  });
}

export function miniBatches(): MiniBatches {
  const api: MiniBatches = {
    batches: [],
    log: [],
    dropAfterCreate: 0,
    failCancels: 0,
    failLists: 0,
    now: Date.now(),
    end() {
      for (const batch of api.batches) batch.ended = true;
    },
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const method = (init?.method ?? 'GET').toUpperCase();
      api.log.push(`${method} ${url.pathname}`);
      const rest = url.pathname
        .replace(/^\/v1\/messages\/batches\/?/, '')
        .split('/')
        .filter(Boolean);
      const view = (batch: MiniBatch) => ({
        id: batch.id,
        type: 'message_batch',
        processing_status: batch.ended ? 'ended' : 'in_progress',
        request_counts: {
          processing: batch.ended ? 0 : batch.customIds.length,
          succeeded: batch.ended && !batch.cancelInitiated ? batch.customIds.length : 0,
          errored: 0,
          canceled: batch.ended && batch.cancelInitiated ? batch.customIds.length : 0,
          expired: 0,
        },
        created_at: new Date(batch.createdAt).toISOString(),
        ended_at: batch.ended ? new Date(api.now).toISOString() : null,
        expires_at: new Date(batch.createdAt + 86_400_000).toISOString(),
        cancel_initiated_at: batch.cancelInitiated ? new Date(api.now).toISOString() : null,
        archived_at: null,
        results_url: batch.ended
          ? `${BATCH_BASE_URL}/v1/messages/batches/${batch.id}/results`
          : null,
      });
      if (rest.length === 0 && method === 'POST') {
        const body = JSON.parse(String(init?.body)) as { requests: { custom_id: string }[] };
        const batch: MiniBatch = {
          id: `msgbatch_${api.batches.length + 1}`,
          createdAt: api.now,
          customIds: body.requests.map((request) => request.custom_id),
          ended: false,
          cancelInitiated: false,
        };
        api.batches.push(batch);
        if (api.dropAfterCreate > 0) {
          api.dropAfterCreate -= 1;
          throw new TypeError('fetch failed: socket hang up');
        }
        return json(view(batch));
      }
      if (rest.length === 0 && method === 'GET') {
        if (api.failLists > 0) {
          api.failLists -= 1;
          return json({ type: 'error', error: { type: 'api_error', message: 'boom' } }, 500);
        }
        const data = [...api.batches].reverse().map(view);
        return json({
          data,
          has_more: false,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
        });
      }
      const batch = api.batches.find((candidate) => candidate.id === rest[0]);
      if (!batch)
        return json({ type: 'error', error: { type: 'not_found_error', message: 'no' } }, 404);
      if (rest.length === 1) return json(view(batch));
      if (rest[1] === 'cancel') {
        if (api.failCancels > 0) {
          api.failCancels -= 1;
          return json({ type: 'error', error: { type: 'api_error', message: 'boom' } }, 500);
        }
        if (!batch.ended) {
          batch.cancelInitiated = true;
          batch.ended = true; // cancels at once: every request comes back canceled
        }
        return json(view(batch));
      }
      // results
      const lines = batch.customIds.map((customId) =>
        JSON.stringify({
          custom_id: customId,
          result: batch.cancelInitiated
            ? { type: 'canceled' }
            : {
                type: 'succeeded',
                message: {
                  id: `msg_${customId}`,
                  type: 'message',
                  role: 'assistant',
                  model: 'claude-haiku-5-5',
                  content: [{ type: 'text', text: 'ok' }],
                  stop_reason: 'end_turn',
                  stop_sequence: null,
                  usage: { input_tokens: 10, output_tokens: 5 },
                },
              },
        }),
      );
      return new Response(`${lines.join('\n')}\n`, {
        status: 200,
        headers: { 'content-type': 'application/binary' },
      });
    }) as typeof fetch,
  };
  return api;
}
