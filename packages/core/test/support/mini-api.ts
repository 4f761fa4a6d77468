import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';

/**
 * A deliberately small fake Messages endpoint for core's own tests (core
 * cannot depend on @haiku-army/testing, which depends on core). Each test
 * queues what the next requests get; unqueued requests succeed.
 */
export const BASE_URL = 'http://mini-api.test';

export type Step =
  | {
      kind: 'ok';
      input?: number;
      output?: number;
      cacheRead?: number;
      headers?: Record<string, string>;
    }
  | {
      kind: 'error';
      status: number;
      type: string;
      message?: string;
      headers?: Record<string, string>;
    }
  | { kind: 'hang' }
  /** A 200 whose body breaks off half-way. */
  | { kind: 'cut' }
  | { kind: 'sse'; text: string; input?: number; output?: number; errorAfterStart?: boolean };

export interface MiniApi {
  queue: Step[];
  requests: { body: Record<string, unknown>; headers: Headers }[];
  /** `count_tokens` bodies received (they are not in `requests`). */
  countRequests: Record<string, unknown>[];
  /** What `count_tokens` answers. @default 50 */
  countAnswer: number;
  /** Resolves once the server has received `count` requests in all. */
  received(count: number): Promise<void>;
  listen(): void;
  close(): void;
}

function message(
  id: number,
  body: Record<string, unknown>,
  step: { input?: number; output?: number; cacheRead?: number },
) {
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: 'ok' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: step.input ?? 100,
      output_tokens: step.output ?? 20,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: step.cacheRead ?? 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      service_tier: 'standard',
    },
  };
}

function sse(events: [string, unknown][]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const [event, data] of events)
        controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      controller.close();
    },
  });
}

export function createMiniApi(): MiniApi {
  const api: MiniApi = {
    queue: [],
    requests: [],
    countRequests: [],
    countAnswer: 50,
    received: (count) =>
      new Promise<void>((resolve) => {
        const check = () => (api.requests.length >= count ? resolve() : setTimeout(check, 1));
        check();
      }),
    listen: () => server.listen({ onUnhandledRequest: 'error' }),
    close: () => server.close(),
  };
  let count = 0;
  const server = setupServer(
    http.post(`${BASE_URL}/v1/messages/count_tokens`, async ({ request }) => {
      api.countRequests.push((await request.json()) as Record<string, unknown>);
      return HttpResponse.json({ input_tokens: api.countAnswer });
    }),
    http.post(`${BASE_URL}/v1/messages`, async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      api.requests.push({ body, headers: request.headers });
      const id = ++count;
      const step = api.queue.shift() ?? { kind: 'ok' };
      const requestId = { 'request-id': `req_${id}` };
      if (step.kind === 'hang') return new Promise<never>(() => {});
      if (step.kind === 'cut') {
        const half = new TextEncoder().encode(JSON.stringify(message(id, body, {})).slice(0, 40));
        const broken = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(half);
            controller.error(new Error('connection reset'));
          },
        });
        return new HttpResponse(broken, {
          headers: { 'content-type': 'application/json', ...requestId },
        });
      }
      if (step.kind === 'error') {
        return HttpResponse.json(
          { type: 'error', error: { type: step.type, message: step.message ?? step.type } },
          { status: step.status, headers: { ...requestId, ...step.headers } },
        );
      }
      if (step.kind === 'sse') {
        const full = message(id, body, step);
        const start = {
          ...full,
          content: [],
          stop_reason: null,
          usage: { ...full.usage, output_tokens: 1 },
        };
        const events: [string, unknown][] = [
          ['message_start', { type: 'message_start', message: start }],
          [
            'content_block_start',
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
          ],
          [
            'content_block_delta',
            {
              type: 'content_block_delta',
              index: 0,
              delta: { type: 'text_delta', text: step.text },
            },
          ],
        ];
        if (step.errorAfterStart) {
          events.push([
            'error',
            { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
          ]);
        } else {
          events.push(
            ['content_block_stop', { type: 'content_block_stop', index: 0 }],
            [
              'message_delta',
              {
                type: 'message_delta',
                delta: { stop_reason: 'end_turn', stop_sequence: null },
                usage: full.usage,
              },
            ],
            ['message_stop', { type: 'message_stop' }],
          );
        }
        return new HttpResponse(sse(events), {
          headers: { 'content-type': 'text/event-stream', ...requestId },
        });
      }
      return HttpResponse.json(message(id, body, step), {
        headers: { ...requestId, ...step.headers },
      });
    }),
  );
  return api;
}
