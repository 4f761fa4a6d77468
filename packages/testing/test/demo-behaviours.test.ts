import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import {
  createDemoResponders,
  createFakeAnthropic,
  detectRole,
  parsePromptFields,
} from '../src/index.js';
import { call } from './helpers.js';

const tools = [
  {
    name: 'grep',
    description: 'search',
    input_schema: { type: 'object', properties: { pattern: { type: 'string' } } },
  },
  {
    name: 'read_file',
    description: 'read',
    input_schema: { type: 'object', properties: { path: { type: 'string' } } },
  },
  {
    name: 'submit_result',
    description: 'submit',
    input_schema: {
      type: 'object',
      properties: { summary: { type: 'string' }, data: { type: 'object' } },
    },
  },
];

async function content(response: Response) {
  return ((await response.json()) as any).content;
}

describe('prompt convention', () => {
  it('reads job, root, terms and a files list', () => {
    expect(
      parsePromptFields(
        'role: Worker\njob: Find "retryAfter"\nroot: /repo\nfiles:\n- a.ts\n- b/c.ts\n\nshards: 2',
      ),
    ).toEqual({
      role: 'worker',
      job: 'Find "retryAfter"',
      root: '/repo',
      terms: ['retryAfter'],
      files: ['a.ts', 'b/c.ts'],
      extra: { shards: '2' },
    });
  });
});

describe('simulated planner, worker and synthesizer', () => {
  it('plans shards from a files list', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      ...createDemoResponders({ planner: { filesPerShard: 2 } }),
    });
    const response = await call(fake, '/v1/messages', {
      model: 'claude-opus-5-5',
      max_tokens: 2000,
      system: 'You are the planner.',
      messages: [
        { role: 'user', content: 'job: find TODO\nterms: TODO\nfiles:\n- a.ts\n- b.ts\n- c.ts' },
      ],
    });
    const plan = JSON.parse((await content(response))[0].text);
    expect(plan.subtasks.map((subtask: any) => subtask.files)).toEqual([
      ['a.ts', 'b.ts'],
      ['c.ts'],
    ]);
    expect(plan.subtasks[0].brief).toBe(
      'role: worker\njob: find TODO\nterms: TODO\nfiles:\n- a.ts\n- b.ts',
    );
  });

  it('lists files under root from disk when no files are given', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fake-anthropic-'));
    mkdirSync(join(root, 'src'));
    mkdirSync(join(root, 'node_modules'));
    for (const name of ['src/a.ts', 'src/b.ts', 'readme.md', 'node_modules/x.js'])
      writeFileSync(join(root, name), 'x');
    const fake = createFakeAnthropic({ latency: 0, ...createDemoResponders() });
    const response = await call(fake, '/v1/messages', {
      model: 'claude-opus-5-5',
      max_tokens: 2000,
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      messages: [{ role: 'user', content: `job: find "x"\nroot: ${root}` }],
    });
    const plan = JSON.parse((await content(response))[0].text);
    expect(plan.subtasks.flatMap((subtask: any) => subtask.files)).toEqual([
      'readme.md',
      'src/a.ts',
      'src/b.ts',
    ]);
  });

  it('runs a worker tool loop: grep, read_file, submit_result', async () => {
    const fake = createFakeAnthropic({ latency: 0, ...createDemoResponders() });
    const brief = 'job: find TODO\nterms: TODO, FIXME\nfiles:\n- a.ts\n- b.ts';
    const messages: any[] = [{ role: 'user', content: brief }];
    const turn = async () => {
      const blocks = await content(
        await call(fake, '/v1/messages', {
          model: 'claude-haiku-5-5',
          max_tokens: 500,
          tools,
          messages,
        }),
      );
      messages.push({ role: 'assistant', content: blocks });
      return blocks;
    };
    const greps = await turn();
    expect(greps.map((block: any) => [block.name, block.input])).toEqual([
      ['grep', { pattern: 'TODO' }],
      ['grep', { pattern: 'FIXME' }],
    ]);
    messages.push({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: greps[0].id,
          content: 'a.ts:3: // TODO one\na.ts:9: // TODO two',
        },
        { type: 'tool_result', tool_use_id: greps[1].id, content: 'b.ts:1: // FIXME' },
      ],
    });
    const reads = await turn();
    expect(reads.map((block: any) => block.input)).toEqual([{ path: 'a.ts' }, { path: 'b.ts' }]);
    messages.push({
      role: 'user',
      content: reads.map((block: any) => ({
        type: 'tool_result',
        tool_use_id: block.id,
        content: 'source',
      })),
    });
    const [submit] = await turn();
    expect(submit.name).toBe('submit_result');
    expect(submit.input.summary).toBe(
      'Searched 2 files for TODO, FIXME: 3 matching lines in 2 files: a.ts (2), b.ts (1).',
    );
    expect(submit.input.data).toEqual({
      matches: { 'a.ts': 2, 'b.ts': 1 },
      terms: ['TODO', 'FIXME'],
    });
  });

  it('speaks the orchestrator plan schema when output_config asks for it (simulation)', async () => {
    const fake = createFakeAnthropic({ ...createDemoResponders() });
    const schema = {
      type: 'object',
      properties: {
        reasoning: { type: 'string' },
        subtasks: {
          type: 'array',
          items: { type: 'object', properties: { brief: { type: 'object' } } },
        },
      },
    };
    const response = await call(fake, '/v1/messages', {
      model: 'claude-opus-5-5',
      max_tokens: 2000,
      output_config: { format: { type: 'json_schema', schema } },
      messages: [
        {
          role: 'user',
          content: 'job: find TODO\nterms: TODO\nfiles:\n- a.ts\n- b.ts\n- c.ts\n\nmaxSubtasks: 2',
        },
      ],
    });
    const plan = JSON.parse((await content(response))[0].text);
    expect(plan.subtasks).toHaveLength(2);
    expect(plan.subtasks[0]).toMatchObject({
      id: 'shard-1',
      dependsOn: [],
      complexity: 'simple',
      brief: { objective: expect.stringContaining('files:\n- a.ts\n- b.ts') },
    });
    expect(Object.keys(plan.subtasks[0].brief)).toEqual([
      'objective',
      'outputFormat',
      'guidance',
      'boundaries',
    ]);
    expect(typeof plan.reasoning).toBe('string');

    // A follow-up round (its schema has `done`) is answered "done".
    const round = await call(fake, '/v1/messages', {
      model: 'claude-opus-5-5',
      max_tokens: 2000,
      output_config: {
        format: {
          type: 'json_schema',
          schema: { ...schema, properties: { ...schema.properties, done: { type: 'boolean' } } },
        },
      },
      messages: [{ role: 'user', content: 'job: find TODO\nround: 2 of 3' }],
    });
    expect(JSON.parse((await content(round))[0].text)).toMatchObject({ done: true, subtasks: [] });
  });

  it('plans one subtask over the whole workspace when given no files and no root', async () => {
    const fake = createFakeAnthropic({ ...createDemoResponders() });
    const response = await call(fake, '/v1/messages', {
      model: 'claude-opus-5-5',
      max_tokens: 2000,
      system: 'You are the planner.',
      messages: [{ role: 'user', content: 'job: find "retryCall"' }],
    });
    const plan = JSON.parse((await content(response))[0].text);
    expect(plan.subtasks.map((subtask: any) => [subtask.id, subtask.brief])).toEqual([
      ['search-1', 'role: worker\njob: find "retryCall"\nterms: retryCall'],
    ]);
  });

  it('keeps its plan within max_tokens by naming folders instead of files (simulation)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fake-anthropic-'));
    const files: string[] = [];
    for (const folder of ['alpha', 'beta', 'gamma']) {
      mkdirSync(join(root, folder, 'src'), { recursive: true });
      for (let index = 0; index < 120; index++) {
        const file = `${folder}/src/module-with-a-long-name-${index}.ts`;
        writeFileSync(join(root, file), 'x');
        files.push(file);
      }
    }
    const fake = createFakeAnthropic({ latency: 0, ...createDemoResponders() });
    const ask = (maxTokens: number) =>
      call(fake, '/v1/messages', {
        model: 'claude-opus-5-5',
        max_tokens: maxTokens,
        output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
        messages: [{ role: 'user', content: `job: find "x"\nroot: ${root}` }],
      });
    // With room, every file is named.
    const roomy = await ask(64_000);
    expect((await roomy.json()).stop_reason).toBe('end_turn');
    const listed = JSON.parse((await content(await ask(64_000)))[0].text);
    expect(listed.subtasks.flatMap((subtask: any) => subtask.files).sort()).toEqual(files.sort());
    // Without, the plan names the three folders, whole and parseable, not cut at max_tokens.
    const tight = await ask(1_000);
    const body = await tight.json();
    expect(body.stop_reason).toBe('end_turn');
    const folders = JSON.parse(body.content[0].text);
    expect(folders.subtasks.flatMap((subtask: any) => subtask.files)).toEqual([
      'alpha/src/',
      'beta/src/',
      'gamma/src/',
    ]);
  });

  it('counts every file under an assigned folder (a dir/ entry)', async () => {
    const fake = createFakeAnthropic({
      ...createDemoResponders({ worker: { assignedFilesOnly: true } }),
    });
    const brief = 'job: find TODO\nterms: TODO\nfiles:\n- src/\n- a.ts';
    const request = (messages: unknown[]) => ({
      model: 'claude-haiku-5-5',
      max_tokens: 500,
      tools: tools.filter((tool) => tool.name !== 'read_file'),
      messages,
    });
    const greps = await content(
      await call(fake, '/v1/messages', request([{ role: 'user', content: brief }])),
    );
    const [submit] = await content(
      await call(
        fake,
        '/v1/messages',
        request([
          { role: 'user', content: brief },
          { role: 'assistant', content: greps },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: greps[0].id,
                content: 'a.ts:1: TODO\nsrc/x/y.ts:2: TODO\nsrcs/z.ts:3: TODO\nz.ts:2: TODO',
              },
            ],
          },
        ]),
      ),
    );
    expect(submit.input.data.matches).toEqual({ 'a.ts': 1, 'src/x/y.ts': 1 });
  });

  it('counts only the assigned files among grep matches with assignedFilesOnly', async () => {
    const fake = createFakeAnthropic({
      ...createDemoResponders({ worker: { assignedFilesOnly: true } }),
    });
    const greps = await content(
      await call(fake, '/v1/messages', {
        model: 'claude-haiku-5-5',
        max_tokens: 500,
        tools: tools.filter((tool) => tool.name !== 'read_file'),
        messages: [{ role: 'user', content: 'job: find TODO\nterms: TODO\nfiles:\n- a.ts' }],
      }),
    );
    const [submit] = await content(
      await call(fake, '/v1/messages', {
        model: 'claude-haiku-5-5',
        max_tokens: 500,
        tools: tools.filter((tool) => tool.name !== 'read_file'),
        messages: [
          { role: 'user', content: 'job: find TODO\nterms: TODO\nfiles:\n- a.ts' },
          { role: 'assistant', content: greps },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: greps[0].id,
                content: 'a.ts:1: TODO\nz.ts:2: TODO',
              },
            ],
          },
        ],
      }),
    );
    expect(submit.input.data.matches).toEqual({ 'a.ts': 1 });
  });

  it('synthesizes summaries', async () => {
    const fake = createFakeAnthropic({ latency: 0, ...createDemoResponders() });
    const response = await call(fake, '/v1/messages', {
      model: 'claude-sonnet-5-5',
      max_tokens: 500,
      system: 'You are the synthesizer.',
      messages: [{ role: 'user', content: 'Summaries:\n- found 2 in a.ts\n- found 1 in b.ts' }],
    });
    expect((await content(response))[0].text).toBe(
      'Combined findings from 2 subtasks:\n- found 2 in a.ts\n- found 1 in b.ts',
    );
  });

  it('detects roles by the documented rule', () => {
    const base = { model: 'm', max_tokens: 1, messages: [{ role: 'user' as const, content: 'x' }] };
    expect(detectRole({ ...base, system: 'role: synthesizer\nYou are the planner' })).toBe(
      'synthesizer',
    );
    expect(detectRole({ ...base, system: 'You are the planner' })).toBe('planner');
    expect(detectRole({ ...base, tools: [{ name: 'grep' }] })).toBe('worker');
    expect(detectRole(base)).toBeUndefined();
  });
});

describe('command line', () => {
  it('serves the demo over HTTP on the given port', async () => {
    const lines: string[] = [];
    const running = await runCli(['--', '--port', '0', '--seed', '3'], (line) => lines.push(line));
    try {
      expect(lines[0]).toBe(`Fake Anthropic API listening on ${running!.server.url}`);
      const client = new Anthropic({ apiKey: 'test-key', baseURL: running!.server.url });
      const message = await client.messages.create({
        model: 'claude-haiku-5-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(message.content[0]).toMatchObject({
        type: 'text',
        text: 'Simulated reply from claude-haiku-5-5.',
      });
    } finally {
      await running!.close();
    }
  });
});
