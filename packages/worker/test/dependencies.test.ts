import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  checkDependencies,
  codebaseTools,
  type DependencyRecorder,
  defineTool,
  emptyDependencies,
  hashContent,
  renderToolValue,
  type SubtaskDependencies,
  type Tool,
} from '../src/index.js';

function recorder(): { deps: SubtaskDependencies; hook: DependencyRecorder } {
  const deps = emptyDependencies();
  return {
    deps,
    hook: {
      read: (file) => deps.reads.push(file),
      query: ({ tool, input, result }) =>
        deps.queries.push({ tool, input, resultHash: hashContent(renderToolValue(result)) }),
      wrote: (file) => deps.writes.push(file),
    },
  };
}

async function call(tool: Tool, input: unknown, hook: DependencyRecorder) {
  const parsed = tool.input.parse(input);
  return tool.run(parsed, {
    signal: new AbortController().signal,
    runId: 'r',
    taskId: 't',
    toolUseId: 'u',
    dependencies: hook,
  });
}

describe('dependency recording of the codebase tools', () => {
  it('read_file records the file hash; grep and list_files their query; a check sees edits', async () => {
    const root = mkdtempSync(join(tmpdir(), 'deps-'));
    writeFileSync(join(root, 'a.ts'), 'retryCall();\n');
    writeFileSync(join(root, 'b.ts'), 'nothing\n');
    const tools = codebaseTools({ root });
    const byName = (name: string) => tools.find((tool) => tool.name === name)!;
    for (const tool of tools) expect(tool.recordsDependencies).toBe(true);
    const { deps, hook } = recorder();
    await call(byName('read_file'), { path: 'a.ts' }, hook);
    await call(byName('grep'), { pattern: 'retryCall' }, hook);
    await call(byName('list_files'), {}, hook);
    expect(deps.reads).toEqual([
      expect.objectContaining({ path: join(root, 'a.ts'), hash: hashContent('retryCall();\n') }),
    ]);
    expect(deps.queries.map((query) => query.tool)).toEqual(['grep', 'list_files']);
    expect(await checkDependencies(deps, { tools })).toEqual({ valid: true });

    // Same content, new mtime: re-hashed, still valid.
    utimesSync(join(root, 'a.ts'), new Date(), new Date(Date.now() + 5_000));
    expect(await checkDependencies(deps, { tools })).toEqual({ valid: true });
    // b.ts gains a match: only grep's result moves.
    writeFileSync(join(root, 'b.ts'), 'retryCall();\n');
    const check = await checkDependencies(deps, { tools });
    expect(check).toMatchObject({ valid: false, reason: expect.stringContaining('grep') });
    writeFileSync(join(root, 'a.ts'), 'changed();\n');
    expect(await checkDependencies({ ...deps, queries: [] }, { tools })).toMatchObject({
      valid: false,
      reason: `${join(root, 'a.ts')} changed`,
    });
    // A new file changes list_files' fingerprint (the plan's key).
    const before = await byName('list_files').fingerprint!(new AbortController().signal);
    writeFileSync(join(root, 'c.ts'), '\n');
    expect(await byName('list_files').fingerprint!(new AbortController().signal)).not.toBe(before);
  });

  it('a result that used an untracked tool never checks valid; pure is declared on the tool', async () => {
    const deps: SubtaskDependencies = { ...emptyDependencies(), untracked: ['fetch_url'] };
    expect(await checkDependencies(deps, { tools: [] })).toMatchObject({ valid: false });
    const pure = defineTool({
      name: 'add',
      description: 'Adds.',
      input: z.object({ a: z.number() }),
      pure: true,
      run: ({ a }) => a + 1,
    });
    expect(pure.pure).toBe(true);
    expect(() =>
      defineTool({
        name: 'bad',
        description: 'Bad.',
        input: z.object({}),
        pure: 'yes' as never,
        run: () => 1,
      }),
    ).toThrow(/tools\.bad\.pure/);
  });
});
