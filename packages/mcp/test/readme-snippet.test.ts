import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it, vi } from 'vitest';
import { childEnv } from './harness.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
/** The README's commands run from the repository's root. */
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('the README configuration snippet', () => {
  it('names a command that starts the server (offline, with the fake API) and lists the tools', async () => {
    const readme = readFileSync(README, 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1]!);
    const config = blocks
      .map(
        (block) =>
          JSON.parse(block) as { mcpServers?: Record<string, { command: string; args: string[] }> },
      )
      .find((parsed) => parsed.mcpServers);
    const entry = config?.mcpServers?.['haiku-army'];
    expect(entry, 'a JSON snippet with mcpServers["haiku-army"]').toBeDefined();
    const transport = new StdioClientTransport({
      command: entry!.command,
      args: entry!.args,
      cwd: REPO_ROOT,
      env: childEnv(),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'readme-snippet-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual([
        'estimate',
        'fan_out',
        'map',
        'run_report',
      ]);
      await vi.waitFor(() => expect(stderr).toContain('offline fake API'), { timeout: 10_000 });
    } finally {
      await client.close();
    }
  }, 60_000);
});
