import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { type ArmyMcpOptions, resolveMcpOptions } from './options.js';
import { ArmyRuntime } from './runtime.js';
import { registerArmyTools } from './tools.js';

/** The server's name and version, as the MCP handshake reports them. */
export const SERVER_INFO = { name: 'haiku-army', version: '0.1.0' } as const;

/** Options of {@link ArmyMcpServer.serveHttp}. */
export interface ServeHttpOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** The interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Bearer token clients must send. Required unless `host` is a loopback address. */
  token?: string;
}

/** A running streamable-HTTP endpoint. */
export interface HttpEndpoint {
  /** The MCP endpoint, `http://host:port/mcp`. */
  url: string;
  close(): Promise<void>;
}

/** The haiku-army MCP server: one shared runtime, one MCP session per transport. */
export interface ArmyMcpServer {
  /** Whether it runs against the embedded offline fake API (no API key). */
  readonly offline: boolean;
  /** A new MCP server with the four tools, for a transport of your own. */
  createServer(): McpServer;
  /** Serves one session over stdin/stdout until stdin closes. */
  serveStdio(): Promise<void>;
  /** Serves streamable HTTP (stateless: each POST is its own session) at `/mcp`. */
  serveHttp(options?: ServeHttpOptions): Promise<HttpEndpoint>;
  /** Stops the offline fake, when there is one. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Throws `INVALID_OPTIONS` when serving HTTP on `host` (default 127.0.0.1)
 * would need a bearer token that `token` does not give. `serveHttp` checks
 * it; a command line checks it before it starts anything, so a refused
 * `--host` prints its one error line and nothing else.
 */
export function checkHttpExposure(host: string | undefined, token: string | undefined): void {
  const address = host ?? '127.0.0.1';
  if (!LOOPBACK.has(address) && !token)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Serving on ${address} (not loopback) needs a bearer token: pass --token or set ARMY_MCP_TOKEN.`,
    );
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * Creates the MCP server: checks the options, and without an API key starts
 * the offline fake API (saying so on the log).
 * @example const server = await createArmyMcpServer({ roots: ['.'], maxBudgetUsd: 2 }); await server.serveStdio();
 */
export async function createArmyMcpServer(options: ArmyMcpOptions): Promise<ArmyMcpServer> {
  const resolved = resolveMcpOptions(options);
  const runtime = await ArmyRuntime.start(resolved);
  const createMcp = () => {
    const server = new McpServer(SERVER_INFO, {
      instructions:
        'Delegate broad searches and bulk jobs to a Haiku army: fan_out plans and runs them, map runs one brief per item, estimate prices a job first, run_report shows a run\u2019s cost tree.',
    });
    registerArmyTools(server, runtime);
    return server;
  };
  return {
    offline: runtime.offline,
    createServer: createMcp,
    async serveStdio() {
      const server = createMcp();
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        process.stdin.once('end', () => resolve());
      });
      await server.connect(transport);
      await closed;
      await server.close();
    },
    async serveHttp(http = {}) {
      const host = http.host ?? '127.0.0.1';
      const token = http.token;
      checkHttpExposure(host, token);
      let allowedHosts: string[] = [];
      const handle = async (request: IncomingMessage, response: ServerResponse) => {
        if (!request.url?.startsWith('/mcp')) {
          response
            .writeHead(404, { 'content-type': 'text/plain' })
            .end('Not found: the MCP endpoint is /mcp\n');
          return;
        }
        if (token && !tokenMatches(request.headers.authorization, token)) {
          response
            .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
            .end('Unauthorized: send Authorization: Bearer <token>\n');
          return;
        }
        const server = createMcp();
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          ...(LOOPBACK.has(host) ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
        });
        response.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(request, response);
      };
      const listener = createServer((request, response) => {
        handle(request, response).catch((error: unknown) => {
          resolved.log(`army-mcp: HTTP request failed: ${(error as Error).message}`);
          if (!response.headersSent) response.writeHead(500).end();
        });
      });
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(http.port ?? 0, host, () => resolve());
      });
      const { port } = listener.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      allowedHosts = [`${shown}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`];
      const url = `http://${shown}:${port}/mcp`;
      resolved.log(
        `army-mcp: streamable HTTP on ${url}${token ? ' (bearer token required)' : ''}.`,
      );
      return {
        url,
        close: () =>
          new Promise<void>((resolve) => {
            listener.close(() => resolve());
            listener.closeAllConnections();
          }),
      };
    },
    close: () => runtime.close(),
  };
}
