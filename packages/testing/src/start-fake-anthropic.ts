import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidOption } from '@haiku-army/core';
import { createFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
import { sendWebResponse, toWebRequest } from './internal/node-adapter.js';
import type { FakeAnthropicOptions } from './options.js';

/** Requests under this path are the server's own controls, never the API's. */
const CONTROL_PREFIX = '/_fake/';

interface Controls {
  stats(): FakeServerStats;
  reset(): void;
  billing(): { calls: number; nanoUsd: number };
}

/**
 * Serves the controls a benchmark in another process needs: `GET
 * /_fake/stats` (load, the bill so far and the server's CPU time in µs) and
 * `POST /_fake/reset` (the fake's `reset()` and the load counts).
 */
function control(method: string, url: string, response: ServerResponse, controls: Controls): void {
  const path = url.split('?')[0];
  const send = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (path === `${CONTROL_PREFIX}stats` && method === 'GET') {
    const cpu = process.cpuUsage();
    send(200, {
      ...controls.stats(),
      billing: controls.billing(),
      cpu: { userUs: cpu.user, systemUs: cpu.system },
    });
    return;
  }
  if (path === `${CONTROL_PREFIX}reset` && method === 'POST') {
    controls.reset();
    send(200, { ok: true });
    return;
  }
  send(404, {
    error: `Not a control: ${method} ${path}. Known: GET /_fake/stats, POST /_fake/reset.`,
  });
}

/** Options for {@link startFakeAnthropic}. */
export interface StartFakeAnthropicOptions extends Omit<FakeAnthropicOptions, 'baseURL'> {
  /** Port to listen on; 0 picks a free port. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' (never all interfaces unless asked) */
  host?: string;
}

/**
 * What the HTTP server has carried since it started (or since
 * `resetStats()`), for benchmarks: `GET /_fake/stats` returns the same as
 * JSON, with the server process's CPU time.
 */
export interface FakeServerStats {
  /** Requests being answered right now (from arrival to the response's end). */
  inFlight: number;
  /** The most requests in flight at once. */
  peakInFlight: number;
  /** Requests received (control requests under `/_fake/` not counted). */
  requests: number;
  /** Responses with status 429. */
  rateLimited: number;
}

/** A fake API served over real HTTP. */
export interface FakeAnthropicServer extends Omit<FakeAnthropic, 'handlers' | 'baseURL'> {
  /** e.g. `http://127.0.0.1:54321`; pass it to the SDK as `baseURL`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Requests in flight now, their peak, and counts (see {@link FakeServerStats}). */
  stats(): FakeServerStats;
  /** Restarts the peak and the counts (requests in flight stay counted). */
  resetStats(): void;
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
  const load: FakeServerStats = { inFlight: 0, peakInFlight: 0, requests: 0, rateLimited: 0 };
  const stats = (): FakeServerStats => ({ ...load });
  const resetStats = (): void => {
    load.peakInFlight = load.inFlight;
    load.requests = 0;
    load.rateLimited = 0;
  };
  const server = createServer((request, response) => {
    if (request.url?.startsWith(CONTROL_PREFIX)) {
      control(request.method ?? 'GET', request.url, response, {
        stats,
        reset: () => {
          fake.reset();
          resetStats();
        },
        billing: () => ({
          calls: fake.billing.entries.length,
          nanoUsd: fake.billing.total(),
        }),
      });
      return;
    }
    load.requests += 1;
    load.inFlight += 1;
    if (load.inFlight > load.peakInFlight) load.peakInFlight = load.inFlight;
    response.once('close', () => {
      load.inFlight -= 1;
      if (response.statusCode === 429) load.rateLimited += 1;
    });
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
    stats,
    resetStats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
