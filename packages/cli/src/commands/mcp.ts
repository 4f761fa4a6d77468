import path from 'node:path';
import { defaultCatalog } from '@haiku-army/core';
import { checkHttpExposure, createArmyMcpServer } from '@haiku-army/mcp';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ResolvedIo } from '../cli-io.js';
import { DEFAULT_MCP_MAX_BUDGET_USD } from '../constants.js';
import { usageError } from '../errors.js';

/** Flags of `army mcp`. */
export interface McpFlags {
  /** Repeatable; default the working directory. */
  root: string[];
  /** USD, the most one tool call may spend. */
  maxBudget?: number;
  planner?: string;
  workers?: string;
  http?: boolean;
  port?: number;
  host?: string;
  token?: string;
}

/** Resolves once the signal is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * `army mcp`: the `@haiku-army/mcp` server (`createArmyMcpServer`, the one
 * `army-mcp` starts) with its four tools (`fan_out`, `map`, `estimate`,
 * `run_report`). Over stdio (the process's stdin and stdout carry the
 * protocol, so nothing else is written to stdout) until the client closes
 * it or Ctrl-C; with `--http`, streamable HTTP on 127.0.0.1 (its URL is the
 * one line on stdout) until Ctrl-C. Resolves with the exit code.
 */
export async function mcpCommand(flags: McpFlags, io: ResolvedIo): Promise<number> {
  if (!flags.http && (flags.port !== undefined || flags.host !== undefined || flags.token))
    throw usageError('--port, --host and --token serve over HTTP: add --http.');
  if (flags.planner !== undefined) defaultCatalog.get(flags.planner);
  if (flags.workers !== undefined) defaultCatalog.get(flags.workers);
  const token = flags.token ?? io.env.ARMY_MCP_TOKEN;
  // Before the server (and an offline fake) starts, so a refusal is the only line.
  if (flags.http) checkHttpExposure(flags.host, token);
  const apiKey = io.env.ANTHROPIC_API_KEY?.trim();
  const baseURL = io.env.ANTHROPIC_BASE_URL?.trim();
  const server = await createArmyMcpServer({
    roots: (flags.root.length > 0 ? flags.root : ['.']).map((root) => path.resolve(io.cwd, root)),
    maxBudgetUsd: flags.maxBudget ?? DEFAULT_MCP_MAX_BUDGET_USD,
    ...(apiKey ? { apiKey } : {}),
    ...(apiKey && baseURL ? { baseURL } : {}),
    ...(flags.planner !== undefined ? { planner: flags.planner } : {}),
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    log: (line) => io.err(line),
  });
  try {
    if (flags.http) {
      const endpoint = await server.serveHttp({
        port: flags.port ?? 0,
        ...(flags.host !== undefined ? { host: flags.host } : {}),
        ...(token ? { token } : {}),
      });
      // The one line a launcher reads to find the endpoint.
      io.out(endpoint.url);
      io.err('Stop it with Ctrl-C.');
      await aborted(io.interrupt);
      await endpoint.close();
      return 0;
    }
    // The server's own McpServer on a stdio transport of ours, so Ctrl-C can close it too.
    const mcp = server.createServer();
    const transport = new StdioServerTransport();
    let onEnd = () => {};
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      onEnd = () => resolve();
      process.stdin.once('end', onEnd);
    });
    await mcp.connect(transport);
    await Promise.race([closed, aborted(io.interrupt)]);
    process.stdin.off('end', onEnd);
    await mcp.close();
    return 0;
  } finally {
    await server.close();
  }
}
