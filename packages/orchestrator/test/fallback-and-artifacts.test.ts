import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { defineTool } from '@haiku-army/worker';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Artifact, createArmy } from '../src/index.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('rateLimitFallback', () => {
  it('hands queued subtasks of a rate-limited model to its sibling, and says so', async () => {
    fake = await startFakeAnthropic({
      latency: { firstByte: 0 },
      models: {
        'claude-haiku-5-5': () => reply.text('on 5.5'),
        'claude-haiku-4-5': () => reply.text('on 4.5'),
      },
    });
    fake.faults.enqueue({ kind: 'rate_limit', retryAfterMs: 400, model: 'claude-haiku-5-5' });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      concurrency: 2,
      rateLimitFallback: { 'claude-haiku-5-5': 'claude-haiku-4-5' },
      rateLimitFallbackAfterMs: 0,
    });
    const result = await army.map(['a', 'b', 'c'], (item) => `Check ${item}.`);
    expect(result.status).toBe('done');
    const third = result.subtasks[2]!;
    expect(third.model).toBe('claude-haiku-4-5');
    expect(third.summary).toBe('on 4.5');
    expect(third.attempts[0]!.fallbackFrom).toBe('claude-haiku-5-5');
    expect(result.subtasks.slice(0, 2).map((s) => s.model)).toEqual([
      'claude-haiku-5-5',
      'claude-haiku-5-5',
    ]);
  });
});

describe('artifacts', () => {
  it('lists every file a write tool produced with its subtask, path and bytes', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'army-out-'));
    const written: Artifact[] = [];
    const writeFile = defineTool({
      name: 'write_file',
      description: 'Writes a file under the output directory.',
      input: z.object({ path: z.string(), content: z.string() }),
      run: ({ path, content }, { taskId }) => {
        writeFileSync(join(outDir, path.replace(/[\\/]/g, '_')), content);
        written.push({ taskId, path, bytes: Buffer.byteLength(content) });
        return 'written';
      },
    });
    fake = await startFakeAnthropic({
      latency: { firstByte: 0 },
      models: {
        'claude-haiku-5-5': (request) => {
          const brief = JSON.stringify(request.messages[0]);
          const name = /Document (\w+)/.exec(brief)![1]!;
          return request.messages.length === 1
            ? reply.toolUse('write_file', { path: `docs/${name}.md`, content: `# ${name}\n` })
            : reply.text(`Wrote docs/${name}.md.`);
        },
      },
    });
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: [writeFile],
      artifacts: { artifacts: () => written },
    });
    const result = await army.map(['alpha', 'beta'], (name) => `Document ${name}.`);
    expect(result.status).toBe('done');
    expect(result.artifacts).toHaveLength(2);
    expect(result.artifacts).toEqual(
      expect.arrayContaining([
        { taskId: 'item-1', path: 'docs/alpha.md', bytes: 8 },
        { taskId: 'item-2', path: 'docs/beta.md', bytes: 7 },
      ]),
    );
  });
});
