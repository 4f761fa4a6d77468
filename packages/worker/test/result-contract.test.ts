import { estimateTextTokens } from '@haiku-army/core';
import { reply } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createWorker } from '../src/index.js';
import { HAIKU, lastUserBlocks, useHarness } from './support/harness.js';

const output = z.object({ count: z.number().int().min(0), files: z.array(z.string()) });
const { script: start } = useHarness();

const submit = (input: Record<string, unknown>) => reply.toolUse('submit_result', input);

describe('result contract', () => {
  it('a worker with an output schema that never calls submit_result fails after exactly one nudge', async () => {
    const { fake, gateway } = await start(reply.text('I think there are 3.'));
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({ status: 'failed', code: 'NO_RESULT', calls: 2, turns: 2 });
    expect(result.reason).toMatch(/without calling submit_result, again after one reminder/);
    expect(result.summary).toBe('I think there are 3.');
    const requests = fake.transcript.messages(HAIKU);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.messages.at(-1)).toEqual({
      role: 'user',
      content: expect.stringMatching(
        /^You ended your turn without calling submit_result\. This task needs a structured result/,
      ),
    });
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('a nudged worker that then submits is accepted', async () => {
    const { gateway } = await start(
      reply.text('3.'),
      submit({ status: 'done', summary: '3 TODOs.', data: { count: 3, files: ['a.ts'] } }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({ status: 'done', data: { count: 3, files: ['a.ts'] }, calls: 2 });
  });

  it('invalid data is sent back once with the errors, then accepted when fixed', async () => {
    const { fake, gateway } = await start(
      submit({ status: 'done', summary: 'Found them.', data: { count: -1 } }),
      submit({
        status: 'done',
        summary: 'Found them.',
        data: { count: 2, files: ['a.ts', 'b.ts'] },
      }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({
      status: 'done',
      data: { count: 2, files: ['a.ts', 'b.ts'] },
      calls: 2,
    });
    const [sentBack] = lastUserBlocks(fake.transcript.messages(HAIKU)[1]!);
    expect(sentBack).toMatchObject({ type: 'tool_result', is_error: true });
    expect(sentBack!.content).toBe(
      [
        '`data` does not match the schema in the brief:',
        '✖ Too small: expected number to be >=0',
        '  → at count',
        '✖ Invalid input: expected array, received undefined',
        '  → at files',
        'Call submit_result again.',
      ].join('\n'),
    );
  });

  it('data still invalid after one correction ends failed with INVALID_RESULT', async () => {
    const { gateway } = await start(
      submit({ status: 'done', summary: 'Found them.', data: { count: 'many' } }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({
      status: 'failed',
      code: 'INVALID_RESULT',
      calls: 2,
      summary: 'Found them.',
    });
    expect(result.data).toBeUndefined();
    expect(result.reason).toBe(
      'The submitted data still did not match the output schema after one correction. Issues: count: Invalid input: expected number, received string; files: Invalid input: expected array, received undefined.',
    );
  });

  it('data sent back, then no submission even after a reminder, ends INVALID_RESULT with the issues, not NO_RESULT', async () => {
    const { fake, gateway } = await start(
      submit({ status: 'done', summary: 'Found them.', data: { count: -1, files: ['a', 2] } }),
      reply.text('I could not fix it.'),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({ status: 'failed', code: 'INVALID_RESULT', calls: 3 });
    expect(result.reason).toBe(
      'The submitted data did not match the output schema, and after it was sent back the model ended its turn without calling submit_result again, even after one reminder. Issues: count: Too small: expected number to be >=0; files[1]: Invalid input: expected string, received number.',
    );
    expect(fake.transcript.messages(HAIKU)).toHaveLength(3);
  });

  it('a later valid submission clears the earlier issues', async () => {
    const { gateway } = await start(
      submit({ status: 'done', summary: 'Found them.', data: { count: -1, files: [] } }),
      submit({ status: 'done', summary: 'word '.repeat(500), data: { count: 1, files: [] } }),
      reply.text('No.'),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({ status: 'failed', code: 'NO_RESULT', calls: 4 });
  });

  it('done without data is asked for data; failed needs none', async () => {
    const { fake, gateway } = await start(
      submit({ status: 'done', summary: 'Did it.' }),
      submit({ status: 'failed', summary: 'Could not find the files.' }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Count.', output });
    expect(result).toMatchObject({
      status: 'failed',
      summary: 'Could not find the files.',
      calls: 2,
    });
    expect(result.code).toBeUndefined();
    expect(lastUserBlocks(fake.transcript.messages(HAIKU)[1]!)[0]!.content).toMatch(
      /^`data` is required/,
    );
  });

  it('a submitted summary over the cap is sent back once, then cut and flagged', async () => {
    const long = `Findings: ${'detail '.repeat(120)}`;
    const { fake, gateway } = await start(
      submit({ status: 'done', summary: long }),
      submit({ status: 'done', summary: long }),
    );
    const result = await createWorker({ gateway, summaryTokenCap: 40 }).run({
      id: 't1',
      brief: 'Report.',
    });
    expect(result).toMatchObject({ status: 'done', calls: 2, summaryTruncated: true });
    expect(estimateTextTokens(result.summary)).toBeLessThanOrEqual(40);
    expect(result.summary.startsWith('Findings: detail')).toBe(true);
    expect(lastUserBlocks(fake.transcript.messages(HAIKU)[1]!)[0]!.content).toMatch(
      /the limit is 40\. Shorten it/,
    );
  });

  it('a summary shortened on request is kept whole', async () => {
    const { gateway } = await start(
      submit({ status: 'done', summary: 'word '.repeat(500) }),
      submit({ status: 'done', summary: 'Short now.' }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Report.' });
    expect(result).toMatchObject({ status: 'done', summary: 'Short now.', calls: 2 });
    expect(result.summaryTruncated).toBeUndefined();
  });

  it('a malformed submission is sent back once, then rejected', async () => {
    const { fake, gateway } = await start(submit({ status: 'finished', summary: '' }));
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Report.' });
    expect(result).toMatchObject({ status: 'failed', code: 'INVALID_RESULT', calls: 2 });
    expect(result.reason).toBe(
      'submit_result input was invalid twice. Issues: status: Invalid option: expected one of "done"|"partial"|"failed"; summary: Too small: expected string to have >=1 characters.',
    );
    expect(lastUserBlocks(fake.transcript.messages(HAIKU)[1]!)[0]!.content).toMatch(
      /^Invalid submit_result input:\n✖ Invalid option: expected one of "done"\|"partial"\|"failed"\n {2}→ at status/,
    );
  });

  it('an empty answer without a schema gets one nudge', async () => {
    const { gateway } = await start(reply.message([]), reply.text('Nothing found.'));
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Look.' });
    expect(result).toMatchObject({ status: 'done', summary: 'Nothing found.', calls: 2 });
  });

  it('a refusal ends the worker failed with REFUSED', async () => {
    const { gateway } = await start(
      reply.text('I cannot help with that.', { stopReason: 'refusal' }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Look.' });
    expect(result).toMatchObject({
      status: 'failed',
      code: 'REFUSED',
      calls: 1,
      summary: 'I cannot help with that.',
    });
  });
});

describe('result contract on the last turn (no turn left to send anything back)', () => {
  it('an over-long summary is cut and flagged at once', async () => {
    const long = `Findings: ${'detail '.repeat(120)}`;
    const { gateway } = await start(submit({ status: 'done', summary: long }));
    const result = await createWorker({
      gateway,
      summaryTokenCap: 40,
      limits: { maxTurns: 1 },
    }).run({ id: 't1', brief: 'Report.' });
    expect(result).toMatchObject({ status: 'done', calls: 1, summaryTruncated: true });
    expect(result.code).toBeUndefined();
    expect(estimateTextTokens(result.summary)).toBeLessThanOrEqual(40);
  });

  it('invalid data ends INVALID_RESULT, not MAX_TURNS', async () => {
    const { gateway } = await start(
      submit({ status: 'done', summary: 'Found them.', data: { count: 'many' } }),
    );
    const result = await createWorker({ gateway, limits: { maxTurns: 1 } }).run({
      id: 't1',
      brief: 'Count.',
      output,
    });
    expect(result).toMatchObject({ status: 'failed', code: 'INVALID_RESULT', calls: 1 });
  });
});

describe('output schema', () => {
  it('is described by its input side, so schemas with transforms work', async () => {
    const counted = z.object({ count: z.string().transform((text) => Number(text)) });
    const { fake, gateway } = await start(
      submit({ status: 'done', summary: 'Three.', data: { count: '3' } }),
    );
    const result = await createWorker({ gateway }).run({
      id: 't1',
      brief: 'Count.',
      output: counted,
    });
    expect(result).toMatchObject({ status: 'done', data: { count: 3 }, calls: 1 });
    expect(lastUserBlocks(fake.transcript.messages(HAIKU)[0]!)[0]!.text).toContain(
      '"count": {\n      "type": "string"\n    }',
    );
  });

  it('async refinements are checked, not a crash', async () => {
    const even = z.object({ n: z.number().refine(async (value) => value % 2 === 0, 'not even') });
    const { gateway } = await start(
      submit({ status: 'done', summary: 'One.', data: { n: 1 } }),
      submit({ status: 'done', summary: 'Two.', data: { n: 2 } }),
    );
    const result = await createWorker({ gateway }).run({ id: 't1', brief: 'Pick.', output: even });
    expect(result).toMatchObject({ status: 'done', data: { n: 2 }, calls: 2 });
  });
});
