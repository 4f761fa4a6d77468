import { type Responder, reply, toolExchanges } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DEFAULT_WORKER_PREAMBLE, defineTool, WorkerPool } from '../src/index.js';
import { briefOf, delay, HAIKU, useHarness } from './support/harness.js';

const PLANNER = 'claude-opus-5-5';
const { start } = useHarness();

describe('isolated context', () => {
  it('no worker request carries another task’s brief, tool results or summary, nor the planner’s history', async () => {
    const worker: Responder = async (request) => {
      await delay(1); // let the workers interleave
      const marker = /MARK-(\d+)/.exec(briefOf(request))![1]!;
      const done = toolExchanges(request).length;
      if (done < 2) return reply.toolUse('echo', { text: `${marker}-${done}` });
      return reply.toolUse('submit_result', { status: 'done', summary: `SUMMARY-${marker}` });
    };
    const harness = await start({
      models: { [HAIKU]: worker, [PLANNER]: () => reply.text('PLAN-OUTPUT: 8 subtasks') },
    });
    const { fake, gateway } = harness;
    // The planner talks to the same API first; none of this may reach a worker.
    await gateway.call(
      {
        model: PLANNER,
        max_tokens: 1_000,
        system: 'You are the planner. PLANNER-SECRET',
        messages: [{ role: 'user', content: 'Split the job. PLANNER-SECRET' }],
      },
      { runId: 'run-iso', taskId: 'plan', role: 'planner' },
    );
    const echo = defineTool({
      name: 'echo',
      description: 'Echoes text.',
      input: z.object({ text: z.string() }),
      run: ({ text }) => `RESULT-${text}`,
    });
    const sharedPrefix = 'Repository map: src/a.ts src/b.ts';
    const pool = new WorkerPool({
      gateway,
      concurrency: 4,
      tools: [echo],
      sharedPrefix,
      runId: 'run-iso',
    });
    const results = await pool.submitAll(
      Array.from({ length: 8 }, (_, index) => ({
        id: `task-${index}`,
        parentTaskId: 'plan',
        brief: { objective: `Handle MARK-${index}.`, boundaries: 'Only this marker.' },
      })),
    );
    expect(results.map((result) => result.summary)).toEqual(
      Array.from({ length: 8 }, (_, index) => `SUMMARY-${index}`),
    );

    const requests = fake.transcript.messages(HAIKU);
    expect(requests).toHaveLength(24);
    for (const request of requests) {
      const own = /MARK-(\d+)/.exec(briefOf(request))![1]!;
      const text = JSON.stringify(request);
      const seen = new Set([...text.matchAll(/(?:MARK|RESULT)-(\d+)/g)].map((match) => match[1]));
      expect(seen).toEqual(new Set([own]));
      expect(text).not.toContain('SUMMARY-');
      expect(text).not.toContain('PLANNER-SECRET');
      expect(text).not.toContain('PLAN-OUTPUT');
      expect(request.system).toEqual([
        { type: 'text', text: DEFAULT_WORKER_PREAMBLE },
        { type: 'text', text: sharedPrefix, cache_control: { type: 'ephemeral' } },
      ]);
      // The brief, then only this worker's own tool turns.
      expect(request.messages[0]!.role).toBe('user');
      for (const [index, message] of request.messages.entries()) {
        expect(message.role).toBe(index % 2 === 0 ? 'user' : 'assistant');
        if (index === 0 || typeof message.content === 'string') continue;
        for (const block of message.content)
          expect(block.type).toBe(message.role === 'assistant' ? 'tool_use' : 'tool_result');
      }
    }
    // Every worker sent the same prefix (tools + system), byte for byte.
    expect(
      new Set(requests.map((request) => JSON.stringify([request.tools, request.system]))).size,
    ).toBe(1);
  });
});
