import { describe, expect, it } from 'vitest';
import { createFakeAnthropic } from '../src/index.js';
import { call } from './helpers.js';

const tools = ['grep', 'read_file', 'submit_result'].map((name) => ({
  name,
  description: name,
  input_schema: {
    type: 'object',
    properties:
      name === 'submit_result'
        ? { status: { type: 'string' }, summary: { type: 'string' }, data: { type: 'object' } }
        : { pattern: { type: 'string' }, path: { type: 'string' } },
  },
}));

async function content(response: Response) {
  return ((await response.json()) as any).content;
}

/** One worker turn after `messages`, answered by the fake's default (no responders configured). */
async function turn(messages: any[]) {
  const fake = createFakeAnthropic({ latency: 0 });
  return content(
    await call(fake, '/v1/messages', {
      model: 'claude-haiku-5-5',
      max_tokens: 500,
      tools,
      messages,
    }),
  );
}

const brief = 'role: worker\nterms: TODO\nfiles:\n- a.ts\n- b.ts';
const greps = [
  { role: 'user', content: brief },
  {
    role: 'assistant',
    content: [{ type: 'tool_use', id: 'g1', name: 'grep', input: { pattern: 'TODO' } }],
  },
  {
    role: 'user',
    content: [
      {
        type: 'tool_result',
        tool_use_id: 'g1',
        content:
          'a.ts:1: TODO\na.ts:2: TODO\nb.ts:4: TODO\nc.ts:1: TODO\nd.ts:1: TODO\ne.ts:7: TODO',
      },
    ],
  },
  {
    role: 'assistant',
    content: [{ type: 'tool_use', id: 'r1', name: 'read_file', input: { path: 'a.ts' } }],
  },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'r1', content: 'source' }] },
];

describe("the fake's default worker in an army run (simulation)", () => {
  it('counts only the matches in the files its brief assigns', async () => {
    const [submit] = await turn(greps);
    expect(submit.input.summary).toBe(
      'Searched 2 files for TODO: 3 matching lines in 2 files: a.ts (2), b.ts (1).',
    );
    expect(submit.input.data.matches).toEqual({ 'a.ts': 2, 'b.ts': 1 });
  });

  it('resubmits a shorter summary once when its submission is sent back, then acknowledges', async () => {
    const sentBack = [
      ...greps,
      {
        role: 'assistant',
        content: [
          {
            type: 'tool_use',
            id: 's1',
            name: 'submit_result',
            input: { status: 'done', summary: 'long' },
          },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 's1',
            is_error: true,
            content: 'The summary is about 400 tokens; the limit is 300. Shorten it.',
          },
        ],
      },
    ];
    const [again] = await turn(sentBack);
    expect(again.name).toBe('submit_result');
    expect(again.input.summary).toBe(
      '3 matching lines for TODO in 2 files, most in a.ts (2), b.ts (1).',
    );
    const [done] = await turn([
      ...sentBack,
      { role: 'assistant', content: [{ ...again, id: 's2' }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 's2', is_error: true, content: 'again' }],
      },
    ]);
    expect(done).toMatchObject({ type: 'text', text: 'Submitted.' });
  });
});
