import { ArmyError } from '@haiku-army/core';
import { reply } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  cascade,
  judgeValidator,
  predicateValidator,
  type RouterAttempt,
  routeAttempts,
  schemaValidator,
  statusValidator,
} from '../src/index.js';
import { HAIKU, OPUS, SONNET, useHarness, workerAttempt } from './support/harness.js';

const subtask = {
  id: 'count-files',
  brief: 'Count the TypeScript files and reply with JSON {"count": <integer>}.',
  output: z.object({ count: z.number().int() }),
};

describe('cascade', () => {
  const start = useHarness();

  it('escalates Haiku -> Sonnet -> Opus on schema-invalid data, with a reason for each escalation', async () => {
    const { fake, gateway, ledger } = await start({
      models: {
        [HAIKU]: () => reply.text('{"count": "three"}'),
        [SONNET]: () => reply.text('{"total": 3}'),
        [OPUS]: () => reply.text('{"count": 3}'),
      },
    });
    const router = cascade([HAIKU, SONNET, OPUS]);
    const run = workerAttempt(gateway, 'run-1', subtask);
    const history = await routeAttempts(router, subtask, run, { runId: 'run-1' });

    const entries = ledger.entries({ runId: 'run-1' });
    expect(entries.map((entry) => [entry.model, entry.attempt, entry.role])).toEqual([
      [HAIKU, 1, 'worker'],
      [SONNET, 2, 'worker'],
      [OPUS, 3, 'worker'],
    ]);
    expect(history.attempts).toHaveLength(3);
    expect(history.attempts.map((attempt) => attempt.model)).toEqual([HAIKU, SONNET, OPUS]);
    expect(history.attempts[0]!.reason).toMatch(/^data does not match the output schema: count: /);
    expect(history.attempts[1]!.reason).toMatch(/^data does not match the output schema: count: /);
    expect(history.attempts[2]!.reason).toBeUndefined();
    expect(history.accepted).toEqual(history.attempts[2]);
    expect(history.attempts.map((attempt) => attempt.cost)).toEqual(
      entries.map((entry) => entry.cost.total),
    );
    // The next brief carries why the last attempt was rejected.
    expect(history.picks[0]!.note).toBeUndefined();
    expect(history.picks[1]!.note).toContain(history.attempts[0]!.reason);
    const sonnetBrief = fake.transcript.messages(SONNET)[0]!.messages[0]!.content as string;
    expect(sonnetBrief).toContain('A previous attempt was rejected: data does not match');
    expect(history.picks[2]!.reason).toContain('cascade step 3 of 3');
  });

  it('gives up (null) once every model was rejected', async () => {
    const router = cascade([HAIKU, OPUS]);
    const rejected: RouterAttempt[] = [
      { model: HAIKU, status: 'failed', summary: 'x', cost: 1, reason: 'r1' },
      { model: OPUS, status: 'failed', summary: 'y', cost: 2, reason: 'r2' },
    ];
    expect(
      await router.pick(subtask, { runId: 'r', attempts: rejected.slice(0, 1) }),
    ).toMatchObject({ model: OPUS, note: 'A previous attempt was rejected: r1' });
    expect(await router.pick(subtask, { runId: 'r', attempts: rejected })).toBeNull();
  });

  it('rejects an empty cascade and an unknown model with coded errors', () => {
    expect(() => cascade([])).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    try {
      cascade([HAIKU, 'claude-haiku-9']);
      expect.unreachable();
    } catch (error) {
      expect(ArmyError.is(error, 'UNKNOWN_MODEL')).toBe(true);
      expect((error as Error).message).toContain('`models[1]`');
    }
  });

  it('validates by the worker status, a predicate and a schema, first rejection wins', async () => {
    const context = { runId: 'r', attempts: [] };
    const attempt: RouterAttempt = {
      model: HAIKU,
      status: 'partial',
      code: 'MAX_TURNS',
      summary: 'ran out',
      cost: 5,
    };
    const byStatus = cascade([HAIKU, OPUS], { validate: statusValidator() });
    expect(await byStatus.accept!(subtask, attempt, context)).toEqual({
      ok: false,
      reason: 'the worker reported partial (MAX_TURNS): ran out',
    });
    const byPredicate = cascade([HAIKU, OPUS], {
      validate: [
        predicateValidator(({ attempt }) => attempt.summary.length > 3 || 'summary too short'),
        schemaValidator(z.object({ ok: z.literal(true) })),
      ],
    });
    const done: RouterAttempt = { ...attempt, status: 'done', summary: 'ok', data: { ok: true } };
    expect(await byPredicate.accept!(subtask, done, context)).toEqual({
      ok: false,
      reason: 'summary too short',
    });
    expect(
      await byPredicate.accept!(subtask, { ...done, summary: 'long enough' }, context),
    ).toEqual({
      ok: true,
      reason: 'accepted after 1 attempt(s)',
    });
  });

  it('asks a cheap judge through the gateway with role router', async () => {
    const { gateway, ledger, fake } = await start({
      models: { [HAIKU]: () => reply.json({ ok: false, reason: 'the count is not a number' }) },
    });
    const router = cascade([HAIKU, OPUS], { validate: judgeValidator({ gateway }) });
    const verdict = await router.accept!(
      subtask,
      { model: HAIKU, status: 'done', summary: 'three files', data: { count: 'three' }, cost: 1 },
      { runId: 'run-j', attempts: [] },
    );
    expect(verdict).toEqual({ ok: false, reason: 'judge: the count is not a number' });
    const [entry] = ledger.entries({ runId: 'run-j' });
    expect(entry).toMatchObject({
      role: 'router',
      model: HAIKU,
      taskId: 'count-files',
      tags: ['router:judge'],
    });
    expect(ledger.entries()).toHaveLength(1);
    const request = fake.transcript.messages(HAIKU)[0]!;
    expect(request.output_config?.format?.type).toBe('json_schema');
  });
});
