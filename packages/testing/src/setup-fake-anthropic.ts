import { setupServer } from 'msw/node';
import { createFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
import type { FakeAnthropicOptions } from './options.js';

/** A fake API installed in this process with msw. */
export interface InProcessFakeAnthropic extends FakeAnthropic {
  /** The msw server. */
  readonly server: ReturnType<typeof setupServer>;
  /**
   * Starts intercepting `fetch`. Create SDK clients AFTER this: the SDK
   * captures `fetch` when it is constructed.
   */
  listen(options?: { onUnhandledRequest?: 'bypass' | 'warn' | 'error' }): void;
  /** Stops intercepting. */
  close(): void;
}

/**
 * Creates a fake API and an msw server around it.
 *
 * With msw 2, construct the SDK with `maxRetries: 0`: the SDK's retry path can
 * hang while cancelling an intercepted response body (mswjs/interceptors
 * #799). Use {@link startFakeAnthropic} to test the SDK's own retries.
 *
 * @example
 * const fake = setupFakeAnthropic({ models: { 'claude-haiku-5-5': () => 'hi' } });
 * fake.listen();
 * const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });
 */
export function setupFakeAnthropic(options: FakeAnthropicOptions = {}): InProcessFakeAnthropic {
  const fake = createFakeAnthropic(options);
  const server = setupServer(...fake.handlers);
  return {
    ...fake,
    server,
    listen(listenOptions = {}) {
      server.listen({ onUnhandledRequest: listenOptions.onUnhandledRequest ?? 'warn' });
    },
    close() {
      server.close();
    },
  };
}
