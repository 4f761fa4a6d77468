#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { checkHttpExposure, createArmyMcpServer } from './server.js';

const USAGE = `Usage: army-mcp --root DIR [--root DIR ...] [--max-budget USD] [--planner MODEL] [--workers MODEL]
                [--http [--port N] [--host ADDR] [--token TOKEN]]

An MCP server whose tools (fan_out, map, estimate, run_report) delegate work to a Haiku army.
stdio by default; --http serves streamable HTTP at http://127.0.0.1:N/mcp.
Without ANTHROPIC_API_KEY it runs against the offline fake API (nothing is billed).
  --root DIR        a directory clients may search (repeatable; default: the current directory)
  --max-budget USD  the most one call may spend (default 1)
  --token TOKEN     bearer token for --http (or ARMY_MCP_TOKEN); required off loopback`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', multiple: true },
      'max-budget': { type: 'string' },
      planner: { type: 'string' },
      workers: { type: 'string' },
      http: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const maxBudgetUsd = values['max-budget'] === undefined ? 1 : Number(values['max-budget']);
  const token = values.token ?? process.env.ARMY_MCP_TOKEN;
  if (values.http) checkHttpExposure(values.host, token);
  const server = await createArmyMcpServer({
    roots: values.root ?? [process.cwd()],
    maxBudgetUsd,
    ...(values.planner ? { planner: values.planner } : {}),
    ...(values.workers ? { workers: values.workers } : {}),
  });
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (values.http) {
    const port = values.port === undefined ? 0 : Number(values.port);
    const endpoint = await server.serveHttp({
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(token ? { token } : {}),
    });
    // The one line a launcher reads to find the endpoint.
    process.stdout.write(`${endpoint.url}\n`);
    return;
  }
  await server.serveStdio();
  await server.close();
}

main().catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  process.stderr.write(
    `army-mcp: ${code ? `${code}: ` : ''}${(error as Error).message}\n\n${USAGE}\n`,
  );
  process.exit(2);
});
