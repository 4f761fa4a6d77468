import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const CONTENT = '# API\n\nEverything the module exports.\n';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    latency: { firstByte: 0 },
    models: {
      // A worker that writes one file, then submits.
      'claude-haiku-5-5': (request) =>
        toolExchanges(request).some((exchange) => exchange.name === 'write_file')
          ? reply.toolUse('submit_result', { status: 'done', summary: 'Wrote docs/api.md.' })
          : reply.toolUse('write_file', { path: 'docs/api.md', content: CONTENT }),
      'claude-opus-5-5': () => reply.text('The docs are written.'),
    },
  });
});
afterAll(() => fake.close());

const plan = {
  reasoning: 'one page',
  subtasks: [
    {
      id: 'docs',
      title: 'Write the API page',
      brief: { objective: 'Document the API.' },
      dependsOn: [],
    },
  ],
};

describe('incremental runs with written files', () => {
  it('a reused subtask restores its files, unless the output folder holds different content', async () => {
    const base = mkdtempSync(join(tmpdir(), 'army-incremental-writes-'));
    const outDir = join(base, 'out');
    const cache = join(base, 'cache');
    const run = async () => {
      const writer = writeFiles({ outDir });
      const army = createArmy({
        baseURL: fake.url,
        apiKey: 'test-key',
        tools: writer.tools,
        artifacts: writer,
        journal: false,
        cache,
      });
      fake.reset();
      const result = await army.runPlan(plan, { job: 'document the API' });
      expect(result.status).toBe('done');
      return { result, billed: fake.billing.entries.length };
    };
    const first = await run();
    expect(first.billed).toBe(3); // write, submit, synthesis
    expect(first.result.artifacts).toEqual([
      { taskId: 'docs', path: 'docs/api.md', bytes: Buffer.byteLength(CONTENT) },
    ]);

    // The file is gone: the reuse writes it back, and lists it.
    rmSync(join(outDir, 'docs'), { recursive: true });
    const second = await run();
    expect(second.billed).toBe(0);
    expect(second.result.subtasks[0]!.reused).toBeDefined();
    expect(readFileSync(join(outDir, 'docs/api.md'), 'utf8')).toBe(CONTENT);
    expect(second.result.artifacts).toEqual(first.result.artifacts);

    // The same content in place: reused as is.
    expect((await run()).billed).toBe(0);

    // Someone edited the file: never overwritten by a reuse; the worker runs again.
    writeFileSync(join(outDir, 'docs/api.md'), '# my own notes\n');
    const edited = await run();
    expect(edited.result.subtasks[0]!.reused).toBeUndefined();
    expect(edited.billed).toBeGreaterThan(0);
    expect(readFileSync(join(outDir, 'docs/api.md'), 'utf8')).toBe('# my own notes\n');
  });
});
