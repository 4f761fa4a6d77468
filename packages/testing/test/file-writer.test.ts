import { describe, expect, it } from 'vitest';
import { createFakeAnthropic, outlineSource } from '../src/index.js';
import { call } from './helpers.js';

const SOURCE = `/**
 * String helpers.
 */
import { join } from 'node:path';

/**
 * Lower-cases and dashes a title.
 * @example
 * slugify('Hello World') // => 'hello-world'
 */
export function slugify(text: string): string {
  return text.toLowerCase().split(' ').join('-');
}

/** @example clamp(12, 0, 10) // => 10 */
export const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

export const SEPARATOR = '-';
export interface Options { strict: boolean }
export class Counter {}
`;

const numbered = (text: string) =>
  `src/strings.ts (lines 1-${text.split('\n').length} of ${text.split('\n').length})\n${text
    .split('\n')
    .map((line, index) => `${index + 1}\t${line}`)
    .join('\n')}`;

const tools = ['read_file', 'write_file', 'submit_result'].map((name) => ({
  name,
  description: name,
  input_schema: {
    type: 'object',
    properties:
      name === 'write_file'
        ? { path: { type: 'string' }, content: { type: 'string' } }
        : name === 'read_file'
          ? { path: { type: 'string' } }
          : { status: { type: 'string' }, summary: { type: 'string' }, data: { type: 'object' } },
  },
}));

async function content(response: Response) {
  return ((await response.json()) as any).content;
}

/** Runs the simulated writer's turns with the given tool results; returns every turn's blocks. */
async function converse(model: string, brief: string, source: string, writeError?: string) {
  const fake = createFakeAnthropic({ latency: 0 });
  const messages: any[] = [{ role: 'user', content: brief }];
  const turns: any[][] = [];
  for (let turn = 0; turn < 4; turn++) {
    const blocks = await content(
      await call(fake, '/v1/messages', { model, max_tokens: 4000, tools, messages }),
    );
    turns.push(blocks);
    messages.push({ role: 'assistant', content: blocks });
    const uses = blocks.filter((block: any) => block.type === 'tool_use');
    if (uses.length === 0) break;
    messages.push({
      role: 'user',
      content: uses.map((block: any) => ({
        type: 'tool_result',
        tool_use_id: block.id,
        content:
          block.name === 'read_file'
            ? numbered(source)
            : block.name === 'write_file'
              ? (writeError ?? 'Wrote it.')
              : 'ok',
        ...(block.name === 'write_file' && writeError ? { is_error: true } : {}),
      })),
    });
  }
  return turns;
}

describe('outlineSource (simulation helper)', () => {
  it('finds the exports, their doc comments and @example results, and the file description', () => {
    const outline = outlineSource(SOURCE);
    expect(outline.description).toBe('String helpers.');
    expect(outline.exports.map((item) => [item.name, item.kind])).toEqual([
      ['slugify', 'function'],
      ['clamp', 'function'],
      ['SEPARATOR', 'const'],
      ['Options', 'type'],
      ['Counter', 'class'],
    ]);
    expect(outline.exports[0]).toMatchObject({
      doc: 'Lower-cases and dashes a title.',
      signature: 'function slugify(text: string): string',
      examples: [{ call: "slugify('Hello World')", expected: "'hello-world'" }],
    });
    expect(outline.exports[1]!.examples).toEqual([{ call: 'clamp(12, 0, 10)', expected: '10' }]);
    expect(outline.exports[2]!.doc).toBeUndefined();
  });
});

describe('the simulated worker writes files (the default army behaviour)', () => {
  const brief =
    'role: worker\nfiles:\n- src/strings.ts\nwrite: strings.test.ts\nimport: ../src/strings.js';

  it('reads the source, writes node:test tests from its exports and examples, submits what it wrote', async () => {
    const [read, write, submit, after] = await converse('claude-haiku-5-5', brief, SOURCE);
    expect(read!.map((block: any) => [block.name, block.input])).toEqual([
      ['read_file', { path: 'src/strings.ts' }],
    ]);
    expect(write![0].name).toBe('write_file');
    expect(write![0].input.path).toBe('strings.test.ts');
    const test = write![0].input.content as string;
    expect(test).toContain(
      "import { slugify, clamp, SEPARATOR, Counter } from '../src/strings.js';",
    );
    expect(test).toContain("  assert.deepEqual(slugify('Hello World'), 'hello-world');");
    expect(test).toContain('  assert.deepEqual(clamp(12, 0, 10), 10);');
    expect(test).toContain('  assert.notEqual(SEPARATOR, undefined);');
    expect(test).not.toContain('Options');
    expect(test.match(/^test\(/gm)).toHaveLength(4);
    expect(test.match(/^\}\);$/gm)).toHaveLength(4);
    expect(submit![0].input).toEqual({
      status: 'done',
      summary:
        'Wrote strings.test.ts: 4 tests with 2 example assertions: slugify, clamp, SEPARATOR, Counter.',
      data: {
        path: 'strings.test.ts',
        exports: ['slugify', 'clamp', 'SEPARATOR', 'Counter'],
        tests: 4,
      },
    });
    expect(after![0]).toMatchObject({ type: 'text', text: 'Submitted.' });
  });

  it('a haiku-tier model cuts off a test file for more than 4 exports; a sonnet writes it whole', async () => {
    const many = `${SOURCE}export function a() {}\nexport function b() {}\n`;
    const [, haiku] = await converse('claude-haiku-5-5', brief, many);
    const cutOff = haiku![0].input.content as string;
    expect(cutOff.match(/^test\(/gm)).toHaveLength(5);
    expect(cutOff.match(/^\}\);$/gm)).toHaveLength(4);
    expect(cutOff.trimEnd().endsWith("assert.equal(typeof a, 'function');")).toBe(true);
    const [, sonnet] = await converse('claude-sonnet-5-5', brief, many);
    const whole = sonnet![0].input.content as string;
    expect(whole.match(/^test\(/gm)).toHaveLength(6);
    expect(whole.match(/^\}\);$/gm)).toHaveLength(6);
  });

  it('writes a Markdown page for a non-test path, and reports a refused write as failed', async () => {
    const docBrief = 'files:\n- src/strings.ts\nwrite: docs/strings.md';
    const [, write, submit] = await converse('claude-haiku-5-5', docBrief, SOURCE);
    const page = write![0].input.content as string;
    expect(page).toMatch(/^# src\/strings\.ts\n\nString helpers\.\n/);
    expect(page).toContain(
      '### `slugify` (function)\n\n```ts\nfunction slugify(text: string): string\n```',
    );
    expect(page).toContain("`slugify('Hello World')` returns `'hello-world'`.");
    expect(page).toContain(
      '### `Options` (type)\n\n```ts\ninterface Options { strict: boolean }\n```',
    );
    expect(submit![0].input.summary).toBe(
      'Wrote docs/strings.md documenting 5 exports: slugify, clamp, SEPARATOR, Options, Counter.',
    );
    expect(submit![0].input.data).toEqual({
      path: 'docs/strings.md',
      exports: ['slugify', 'clamp', 'SEPARATOR', 'Options', 'Counter'],
      description: 'String helpers.',
    });
    const headless = SOURCE.replace('/**\n * String helpers.\n */\n', '');
    const [, , described] = await converse('claude-haiku-5-5', docBrief, headless);
    expect(described![0].input.data.description).toBe('Lower-cases and dashes a title.');
    const refused = await converse('claude-haiku-5-5', docBrief, SOURCE, 'already written by x');
    expect(refused[2]![0].input).toMatchObject({
      status: 'failed',
      summary: 'Could not write docs/strings.md: already written by x',
    });
  });
});
