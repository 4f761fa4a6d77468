import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArmy } from '@haiku-army/orchestrator';
import {
  type FakeAnthropicServer,
  reply,
  startFakeAnthropic,
  toolExchanges,
} from '@haiku-army/testing';
import { writeFiles } from '@haiku-army/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    latency: { firstByte: 0 },
    models: {
      // Writes docs/<name>.md, then reports what the tool said.
      'claude-haiku-5-5': (request) => {
        const name = /Document (\w+)/.exec(JSON.stringify(request.messages[0]))![1]!;
        const [exchange] = toolExchanges(request);
        if (!exchange)
          return reply.toolUse('write_file', { path: `docs/${name}.md`, content: `# ${name}\n` });
        return exchange.isError
          ? reply.text(`Could not write: ${exchange.result}`)
          : reply.text(`Wrote docs/${name}.md.`);
      },
    },
  });
});
afterAll(() => fake.close());

describe('artifacts', () => {
  it('parallel doc generation: every file written is listed with its subtask, path and bytes', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'army-docs-'));
    const writer = writeFiles({ outDir });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: writer.tools,
      artifacts: writer,
    });
    const result = await army.map(['alpha', 'beta', 'gamma'], (name) => `Document ${name}.`);
    expect(result.status).toBe('done');
    expect([...result.artifacts].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { taskId: 'item-1', path: 'docs/alpha.md', bytes: 8 },
      { taskId: 'item-2', path: 'docs/beta.md', bytes: 7 },
      { taskId: 'item-3', path: 'docs/gamma.md', bytes: 8 },
    ]);
    expect(readFileSync(join(outDir, 'docs/beta.md'), 'utf8')).toBe('# beta\n');
  });

  it('a path another subtask already wrote is refused, naming it; the run lists only what was written', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'army-docs-'));
    const writer = writeFiles({ outDir });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: writer.tools,
      artifacts: writer,
      concurrency: 1,
    });
    const result = await army.map(['same', 'same'], (name) => `Document ${name}.`);
    expect(result.artifacts).toEqual([{ taskId: 'item-1', path: 'docs/same.md', bytes: 7 }]);
    expect(result.subtasks[1]!.summary).toMatch(/Could not write: .*item-1/);
  });

  it('an outDir that is a file is refused with INVALID_OPTIONS', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'army-docs-')), 'not-a-dir');
    writeFileSync(file, 'x');
    expect(() =>
      createArmy({
        baseURL: fake.url,
        apiKey: 'test-key',
        tools: writeFiles({ outDir: file }).tools,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/outDir/),
      }),
    );
  });
});
