import { realpathSync } from 'node:fs';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CALL_OPTIONS, CLI, childEnv, exerciseServer, fixtureRepo } from './harness.js';

// The fake runs in this process, so its billing log is an independent
// witness of what the server's runs cost: the server gets it as its API
// (ANTHROPIC_BASE_URL + a key), exactly as it would get the real one.
let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

async function connect(args: string[], env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'army-mcp-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('army-mcp over stdio', () => {
  it('fans out over a fixture repo with progress and an exact bill, and refuses what it must', async () => {
    const repo = fixtureRepo();
    repo.root = realpathSync(repo.root);
    const key = 'sk-ant-test-secret-key-123';
    const { client, stderr } = await connect(
      ['--root', repo.root, '--max-budget', '1'],
      childEnv({ ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: fake.url }),
    );
    try {
      await exerciseServer(client, repo, () => fake.billing.total());
      await vi.waitFor(() => expect(stderr()).toContain(`using the Anthropic API at ${fake.url}`), {
        timeout: 10_000,
      });
      expect(stderr()).not.toContain(key);
    } finally {
      await client.close();
    }
  }, 180_000);

  it('without an API key runs against its embedded fake and says so; map and estimate answer', async () => {
    const repo = fixtureRepo();
    const { client, stderr } = await connect(
      ['--root', repo.root, '--max-budget', '0.5'],
      childEnv(),
    );
    try {
      await vi.waitFor(() => expect(stderr()).toContain('no ANTHROPIC_API_KEY'), {
        timeout: 10_000,
      });
      const mapped = (await client.callTool(
        {
          name: 'map',
          arguments: {
            items: repo.planted,
            brief: 'Read {item} and say which function it calls.',
            output: { type: 'object', properties: { calls: { type: 'string' } } },
          },
        },
        undefined,
        CALL_OPTIONS,
      )) as CallToolResult;
      expect(mapped.isError ?? false, JSON.stringify(mapped.content)).toBe(false);
      const content = mapped.structuredContent as {
        results: { item: string; status: string }[];
        bill: { totalNanoUsd: number };
      };
      expect(content.results.map((entry) => entry.item)).toEqual(repo.planted);
      expect(content.bill.totalNanoUsd).toBeGreaterThan(0);

      const estimate = (await client.callTool(
        { name: 'estimate', arguments: { job: 'find every place that calls "retryCall"' } },
        undefined,
        CALL_OPTIONS,
      )) as CallToolResult;
      expect(estimate.isError ?? false, JSON.stringify(estimate.content)).toBe(false);
      const forecast = estimate.structuredContent as {
        subtasks: number;
        planningNanoUsd: number;
        lowNanoUsd: number;
        expectedNanoUsd: number;
        highNanoUsd: number;
      };
      expect(forecast.subtasks).toBeGreaterThan(0);
      expect(forecast.planningNanoUsd).toBeGreaterThan(0);
      expect(forecast.lowNanoUsd).toBeGreaterThan(forecast.planningNanoUsd);
      expect(forecast.expectedNanoUsd).toBeGreaterThan(forecast.lowNanoUsd);
      expect(forecast.highNanoUsd).toBeGreaterThan(forecast.expectedNanoUsd);
    } finally {
      await client.close();
    }
  }, 180_000);
});
