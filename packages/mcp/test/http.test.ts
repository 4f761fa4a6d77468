import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, childEnv, exerciseServer, fixtureRepo } from './harness.js';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
});

/** Starts `army-mcp --http` and reads the endpoint it prints. */
async function startHttp(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [CLI, '--http', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error(`army-mcp exited: ${stderr}`);
    }),
  ])) as [string];
  return line.trim();
}

describe('army-mcp over streamable HTTP', () => {
  it('serves the same tools on loopback with progress, an exact bill and the refusals', async () => {
    const repo = fixtureRepo();
    repo.root = realpathSync(repo.root);
    const url = await startHttp(
      ['--root', repo.root, '--max-budget', '1'],
      childEnv({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url }),
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const client = new Client({ name: 'army-mcp-http-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      await exerciseServer(client, repo, () => fake.billing.total());
    } finally {
      await client.close();
    }
  }, 180_000);

  it('asks for the bearer token when given one, and will not bind off loopback without one', async () => {
    const repo = fixtureRepo();
    const url = await startHttp(['--root', repo.root, '--token', 'let-me-in'], childEnv());
    const denied = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(denied.status).toBe(401);
    const client = new Client({ name: 'army-mcp-token-test', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: 'Bearer let-me-in' } },
      }),
    );
    try {
      expect((await client.listTools()).tools).toHaveLength(4);
    } finally {
      await client.close();
    }

    const open = spawn(
      process.execPath,
      [CLI, '--http', '--host', '0.0.0.0', '--root', repo.root],
      {
        env: childEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(open);
    let stderr = '';
    open.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(open, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('needs a bearer token');
  }, 120_000);
});
