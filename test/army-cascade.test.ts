import { createArmy, type Router } from '@haiku-army/orchestrator';
import { cascade, schemaValidator, statusValidator } from '@haiku-army/router';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';

const TIERS = ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5'];

/** A test-local cascade: Haiku, then Sonnet, then Opus; an attempt is accepted when a zod validator passes. */
function cascadeRouter(validator: z.ZodType): Router {
  return {
    name: 'test-cascade',
    pick: async (_subtask, context) => {
      const model = TIERS[context.attempts.length];
      if (!model) return null;
      const last = context.attempts.at(-1);
      return {
        model,
        reason: last ? `escalated after ${last.model}` : 'cheapest tier first',
        ...(last?.reason ? { note: last.reason } : {}),
      };
    },
    accept: async (_subtask, attempt) => {
      const checked = validator.safeParse(attempt.data);
      return checked.success
        ? { ok: true, reason: 'valid' }
        : { ok: false, reason: `data failed validation: ${checked.error.issues[0]?.message}` };
    },
  };
}

const submit = (data: unknown) => () =>
  reply.toolUse('submit_result', { status: 'done', summary: 'The answer.', data });

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    latency: { firstByte: 0 },
    models: {
      'claude-haiku-5-5': submit({ answer: 'forty-two' }), // not a number: the worker's own schema check fails
      'claude-sonnet-5-5': submit({ answer: -1 }), // a number, but the router's validator wants a positive one
      'claude-opus-5-5': submit({ answer: 42 }),
    },
  });
});
afterAll(() => fake.close());

describe('routing and cascades', () => {
  it('escalates Haiku -> Sonnet -> Opus; the escalations show in events, ledger and result', async () => {
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      workers: cascadeRouter(z.object({ answer: z.number().positive() })),
    });
    const escalations: { from: string; to: string; reason: string }[] = [];
    army.events.on('task:escalate', (event) => escalations.push(event));
    const result = await army.map(['q'], () => 'What is the answer?', {
      output: z.object({ answer: z.number() }),
    });

    expect(result.status).toBe('done');
    const [subtask] = result.subtasks;
    expect(subtask!.model).toBe('claude-opus-5-5');
    expect(subtask!.data).toEqual({ answer: 42 });
    expect(
      subtask!.attempts.map((attempt) => [attempt.attempt, attempt.model, attempt.accepted]),
    ).toEqual([
      [1, 'claude-haiku-5-5', false],
      [2, 'claude-sonnet-5-5', false],
      [3, 'claude-opus-5-5', true],
    ]);
    expect(subtask!.attempts[0]!.code).toBe('INVALID_RESULT');
    expect(subtask!.attempts[1]!.rejectedBecause).toMatch(/validation/);

    expect(escalations.map((event) => [event.from, event.to])).toEqual([
      ['claude-haiku-5-5', 'claude-sonnet-5-5'],
      ['claude-sonnet-5-5', 'claude-opus-5-5'],
    ]);
    expect(escalations[1]!.reason).toMatch(/validation/);

    // Each attempt is its own set of ledger entries under the same task.
    const entries = army.ledger.entries({ runId: result.runId, taskId: subtask!.id });
    expect(entries.map((entry) => [entry.attempt, entry.model])).toEqual([
      [1, 'claude-haiku-5-5'],
      [1, 'claude-haiku-5-5'], // the worker sent the invalid data back once
      [2, 'claude-sonnet-5-5'],
      [3, 'claude-opus-5-5'],
    ]);
    const tree = result.cost.tree.subtasks[0]!;
    expect(
      tree.attempts.map((attempt) => [attempt.attempt, attempt.model, attempt.totals.calls]),
    ).toEqual([
      [1, 'claude-haiku-5-5', 2],
      [2, 'claude-sonnet-5-5', 1],
      [3, 'claude-opus-5-5', 1],
    ]);
    expect(subtask!.cost.total).toBe(entries.reduce((sum, entry) => sum + entry.cost.total, 0));

    // The rejected attempt's reason travels to the next attempt's brief.
    const opusRequest = fake.transcript.messages('claude-opus-5-5').at(-1)!;
    expect(JSON.stringify(opusRequest.messages[0])).toContain('data failed validation');
  });

  it('runs @haiku-army/router cascade() unchanged: Haiku -> Sonnet -> Opus on schema-invalid data', async () => {
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      workers: cascade(TIERS, {
        validate: [statusValidator(), schemaValidator(z.object({ answer: z.number().positive() }))],
      }),
    });
    const escalations: { from: string; to: string; reason: string }[] = [];
    army.events.on('task:escalate', (event) => escalations.push(event));
    const result = await army.map(['q'], () => 'What is the answer?', {
      output: z.object({ answer: z.number() }),
    });
    expect(result.status).toBe('done');
    const [subtask] = result.subtasks;
    expect(subtask!.model).toBe('claude-opus-5-5');
    expect(subtask!.attempts.map((attempt) => attempt.model)).toEqual(TIERS);
    expect(escalations.map((event) => [event.from, event.to])).toEqual([
      ['claude-haiku-5-5', 'claude-sonnet-5-5'],
      ['claude-sonnet-5-5', 'claude-opus-5-5'],
    ]);
    expect(escalations[1]!.reason).toMatch(/output schema/);
    const models = army.ledger
      .entries({ runId: result.runId, taskId: subtask!.id })
      .map((entry) => entry.model);
    expect(new Set(models)).toEqual(new Set(TIERS));
  });
});
