import type { FakeAnthropic } from '../src/index.js';

/** Sends a request straight to the engine (no network), as the SDK would. */
export function call(
  fake: Pick<FakeAnthropic, 'handle'>,
  path: string,
  body?: unknown,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  return fake.handle(
    new Request(`http://fake-anthropic.local${path}`, {
      method,
      headers: {
        'x-api-key': 'test-key',
        'anthropic-version': '2026-10-21',
        'content-type': 'application/json',
        ...options.headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

/** Parses an SSE body into `{ event, data }` pairs. */
export async function readEvents(response: Response): Promise<{ event: string; data: any }[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim().length > 0)
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(chunk)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2026, 10, 1)) {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** A promise with its resolve exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Exactly 2,000 tokens under the fake's rule. */
export const SYSTEM_2000 = 'word '.repeat(2000);

/**
 * A request whose system prompt is a cached 2,000-token prefix; the message
 * is 6 input tokens (3 overhead + "question" (2) + a 1-3 digit number (1)).
 */
export function cachedRequest(model: string, index: number) {
  return {
    model,
    max_tokens: 20,
    system: [
      { type: 'text' as const, text: SYSTEM_2000, cache_control: { type: 'ephemeral' as const } },
    ],
    messages: [{ role: 'user' as const, content: `question ${index}` }],
  };
}
