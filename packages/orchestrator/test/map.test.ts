import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createArmy } from '../src/index.js';
import { reply, startScripted } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const countWorker = () =>
  startScripted({
    worker: (request) => {
      const word = /Count the letters of (\w+)/.exec(JSON.stringify(request.messages[0]))![1]!;
      return reply.toolUse('submit_result', {
        status: 'done',
        summary: `${word} has ${word.length} letters.`,
        data: { word, letters: word.length },
      });
    },
  });

describe('army.map', () => {
  it('runs one subtask per item with no planner call, and reduces the results', async () => {
    fake = await countWorker();
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key' });
    const output = z.object({ word: z.string(), letters: z.number() });
    const result = await army.map(
      ['alpha', 'be', 'gamma'],
      (word) => `Count the letters of ${word}.`,
      {
        output,
        reduce: (results) => results.reduce((sum, item) => sum + (item.data?.letters ?? 0), 0),
      },
    );
    expect(result.status).toBe('done');
    expect(result.answer).toBe(12);
    expect(result.subtasks.map((subtask) => subtask.id)).toEqual(['item-1', 'item-2', 'item-3']);
    expect(result.cost.tree.planner.calls).toBe(0);
    expect(result.cost.tree.synthesis.calls).toBe(0);
    expect(fake.transcript.messages().every((request) => !request.output_config)).toBe(true);
    // Each call is on the timeline with its task, role and model.
    expect(result.timeline.map((call) => [call.taskId, call.role, call.model]).sort()).toEqual([
      ['item-1', 'worker', 'claude-haiku-5-5'],
      ['item-2', 'worker', 'claude-haiku-5-5'],
      ['item-3', 'worker', 'claude-haiku-5-5'],
    ]);
    for (const call of result.timeline) expect(call.end).toBeGreaterThanOrEqual(call.start);
  });

  it('puts the billed call’s transport retries on its timeline entry', async () => {
    fake = await countWorker();
    fake.faults.enqueue({ kind: 'server_error', status: 500 });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', concurrency: 1 });
    const result = await army.map(['alpha', 'be'], (word) => `Count the letters of ${word}.`);
    expect(result.status).toBe('done');
    const entries = army.ledger.entries({ runId: result.runId });
    expect(entries.map((entry) => entry.retries).sort()).toEqual([0, 1]);
    for (const call of result.timeline) {
      const entry = entries.find((candidate) => candidate.id === call.entryId)!;
      expect(call.retries).toBe(entry.retries);
    }
  });

  it('synthesizes from the summaries on request, and takes custom ids', async () => {
    fake = await countWorker();
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      synthesizer: 'claude-sonnet-5-5',
    });
    const result = await army.map(['alpha', 'be'], (word) => `Count the letters of ${word}.`, {
      synthesize: true,
      job: 'count letters',
      id: (word) => `word-${word}`,
    });
    expect(result.subtasks.map((subtask) => subtask.id)).toEqual(['word-alpha', 'word-be']);
    expect(result.answer).toContain('alpha has 5 letters.');
    expect(result.answer).toContain('be has 2 letters.');
    const synthesis = army.ledger.entries({ runId: result.runId, role: 'synthesizer' });
    expect(synthesis.map((entry) => entry.model)).toEqual(['claude-sonnet-5-5']);
  });
});
