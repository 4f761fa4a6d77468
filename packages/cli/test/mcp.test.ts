import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { army, tempDir } from './support/harness.js';
import { ArmyProcess, BIN } from './support/spawn.js';

const TOOLS = ['estimate', 'fan_out', 'map', 'run_report'];
const CALL_OPTIONS = { timeout: 120_000, resetTimeoutOnProgress: true } as const;

/** A folder with `retryCall` planted in two files. */
function fixture(): { root: string; planted: string[] } {
  const root = tempDir('mcp-root');
  const planted = ['src/a.ts', 'src/c.ts'];
  mkdirSync(path.join(root, 'src'));
  for (const name of ['a', 'b', 'c'])
    writeFileSync(
      path.join(root, 'src', `${name}.ts`),
      planted.includes(`src/${name}.ts`)
        ? 'export const x = () => retryCall(load);\n'
        : '// none\n',
    );
  return { root, planted };
}

/** This process's environment without an API key, for an offline child. */
function offlineEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && key !== 'ANTHROPIC_API_KEY' && key !== 'ANTHROPIC_BASE_URL')
      env[key] = value;
  return env;
}

const clients: Client[] = [];
const children: ArmyProcess[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  for (const child of children.splice(0))
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
});

describe('army mcp', () => {
  it('serves the four tools over stdio to the MCP SDK client, offline, and fans out on an allowed root', async () => {
    const repo = fixture();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--root', repo.root, '--max-budget', '0.5'],
      env: offlineEnv(),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'army-mcp-test', version: '0.0.0' });
    clients.push(client);
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    await vi.waitFor(() => expect(stderr).toContain('offline fake API'), { timeout: 20_000 });

    const progress: unknown[] = [];
    const result = (await client.callTool(
      { name: 'fan_out', arguments: { job: 'find every place that calls "retryCall"' } },
      undefined,
      { ...CALL_OPTIONS, onprogress: (event) => progress.push(event) },
    )) as CallToolResult;
    expect(result.isError ?? false).toBe(false);
    const content = result.structuredContent as { status: string; answer: string };
    expect(content.status).toBe('done');
    for (const planted of repo.planted) expect(content.answer).toContain(planted);
    expect(progress.length).toBeGreaterThanOrEqual(1);

    // --max-budget is the cap: a call over it is refused.
    const refused = (await client.callTool(
      { name: 'fan_out', arguments: { job: 'find every TODO', budgetUsd: 2 } },
      undefined,
      CALL_OPTIONS,
    )) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toMatch(
      /BUDGET_OVER_CAP: budgetUsd 2 is over this server's cap of 0.5 USD/,
    );
  }, 120_000);

  it('--http serves streamable HTTP on 127.0.0.1: its URL is the one stdout line; Ctrl-C stops it with exit 0', async () => {
    const repo = fixture();
    const server = new ArmyProcess(['mcp', '--http', '--root', repo.root], {}, repo.root);
    children.push(server);
    const [line, url] = await server.waitFor('stdout', /^(http:\/\/127\.0\.0\.1:\d+\/mcp)\n/);
    expect(line).toBe(`${url}\n`);
    const client = new Client({ name: 'army-mcp-http-test', version: '0.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    await client.close();
    server.child.kill('SIGINT');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(server.stdout).toBe(`${url}\n`);
    expect(server.stderr).toContain(`streamable HTTP on ${url}`);
  }, 60_000);

  it('refuses bad flags with one line: HTTP flags without --http, an unknown model, a missing root, a bad budget', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['mcp', '--port', '9000'],
        /^army: --port, --host and --token serve over HTTP: add --http\.$/,
      ],
      [['mcp', '--workers', 'gpt-9'], /^army: .*"gpt-9".*claude-haiku-5-5/],
      [['mcp', '--root', '/no/such/dir'], /^army: The root "\/no\/such\/dir" does not exist/],
      [['mcp', '--max-budget', '0'], /^army: .*--max-budget.*Expected a dollar amount above zero/],
      [
        ['mcp', '--http', '--host', '0.0.0.0'],
        /^army: Serving on 0\.0\.0\.0 \(not loopback\) needs a bearer token/,
      ],
    ];
    for (const [argv, pattern] of cases) {
      const { code, stdout, stderrLines } = await army(argv, { env: {} });
      expect(code, argv.join(' ')).toBe(2);
      expect(stdout).toBe('');
      // The refusal is the only line: nothing (an offline fake's startup line) before it.
      expect(stderrLines, argv.join(' ')).toHaveLength(1);
      expect(stderrLines.at(-1)).toMatch(pattern);
    }
  }, 60_000);
});
