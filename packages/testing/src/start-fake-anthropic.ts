import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidOption } from '@haiku-army/core';
import { createFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
import { sendWebResponse, toWebRequest } from './internal/node-adapter.js';
import type { FakeAnthropicOptions } from './options.js';

/** Options for {@link startFakeAnthropic}. */
export interface StartFakeAnthropicOptions extends Omit<FakeAnthropicOptions, 'baseURL'> {
  /** Port to listen on; 0 picks a free port. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' (never all interfaces unless asked) */
  host?: string;
}

/** A fake API served over real HTTP. */
export interface FakeAnthropicServer extends Omit<FakeAnthropic, 'handlers' | 'baseURL'> {
  /** e.g. `http://127.0.0.1:54321`; pass it to the SDK as `baseURL`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the fake API on node:http. The official SDK's default retries work
 * against it (unlike msw, there is no interception layer).
 *
 * @example
 * const fake = await startFakeAnthropic({ models: { 'claude-haiku-5-5': () => 'hi' } });
 * const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
 * // ...
 * await fake.close();
 */
export async function startFakeAnthropic(
  options: StartFakeAnthropicOptions = {},
): Promise<FakeAnthropicServer> {
  const { port = 0, host = '127.0.0.1', ...rest } = options;
  if (typeof host !== 'string' || host.length === 0) {
    throw invalidOption('host', 'an interface address such as 127.0.0.1', host);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalidOption('port', 'an integer from 0 to 65535', port);
  }
  const fake = createFakeAnthropic(rest);
  let origin = '';
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const webRequest = await toWebRequest(request, origin);
        await sendWebResponse(await fake.handle(webRequest), response);
      } catch {
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // Bound to every interface: clients reach it on loopback.
  const reachable =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '::1'
        : address.address;
  origin = `http://${address.family === 'IPv6' ? `[${reachable}]` : reachable}:${address.port}`;
  const { handlers: _handlers, baseURL: _baseURL, ...api } = fake;
  return {
    ...api,
    url: origin,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
