import { reply } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import { briefHash, CLASSIFIER_INSTRUCTIONS, classifier } from '../src/index.js';
import { HAIKU, OPUS, SONNET, useHarness } from './support/harness.js';

describe('classifier', () => {
  const start = useHarness();

  it('labels a brief through the gateway with role router, and caches the label per brief hash', async () => {
    const labels: Record<string, string> = {
      'Prove the lemma.': 'complex',
      'List the files.': 'simple',
    };
    const { gateway, ledger, fake } = await start({
      models: {
        [HAIKU]: (request) => {
          const brief = request.messages[0]!.content as string;
          return reply.json({ complexity: labels[brief], reason: 'because' });
        },
      },
    });
    const router = classifier({ gateway });
    const context = { runId: 'run-c', attempts: [] };
    const proof = { id: 't1', brief: 'Prove the lemma.' };
    expect(await router.pick(proof, context)).toEqual({
      model: OPUS,
      reason: `classified "complex" -> ${OPUS}`,
    });
    // Same brief, another subtask: the cached label, no second call.
    expect(await router.pick({ ...proof, id: 't2' }, context)).toEqual({
      model: OPUS,
      reason: `cached label "complex" -> ${OPUS}`,
    });
    expect(await router.pick({ id: 't3', brief: 'List the files.' }, context)).toMatchObject({
      model: HAIKU,
    });

    const entries = ledger.entries({ runId: 'run-c' });
    expect(entries.map((entry) => [entry.role, entry.model, entry.taskId])).toEqual([
      ['router', HAIKU, 't1'],
      ['router', HAIKU, 't3'],
    ]);
    expect(ledger.byRole({ runId: 'run-c' }).router?.cost.total).toBe(fake.billing.total());
    expect(router.cache.get(briefHash('Prove the lemma.'))).toBe('complex');

    const request = fake.transcript.messages(HAIKU)[0]!;
    expect(request.system).toEqual([
      { type: 'text', text: CLASSIFIER_INSTRUCTIONS, cache_control: { type: 'ephemeral' } },
    ]);
    expect(request.output_config?.format?.type).toBe('json_schema');
  });

  it('shares one call between concurrent picks of the same brief', async () => {
    const { gateway, fake } = await start({
      models: { [HAIKU]: () => reply.json({ complexity: 'moderate' }) },
    });
    const router = classifier({ gateway });
    const picks = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        router.pick({ id, brief: 'Same brief' }, { runId: 'r', attempts: [] }),
      ),
    );
    expect(picks.map((pick) => pick?.model)).toEqual([SONNET, SONNET, SONNET]);
    expect(fake.transcript.messages(HAIKU)).toHaveLength(1);
  });

  it('falls back to the planner label on a reply that does not parse, without caching it', async () => {
    const { gateway, fake } = await start({ models: { [HAIKU]: () => reply.text('no idea') } });
    const router = classifier({ gateway, models: { simple: SONNET } });
    const subtask = { id: 't', brief: 'Whatever', complexity: 'simple' as const };
    expect(await router.pick(subtask, { runId: 'r', attempts: [] })).toEqual({
      model: SONNET,
      reason: `classifier reply did not parse; "simple" -> ${SONNET}`,
    });
    await router.pick(subtask, { runId: 'r', attempts: [] });
    expect(fake.transcript.messages(HAIKU)).toHaveLength(2);
    expect(router.cache.size).toBe(0);
  });

  it('rejects an unknown model in its map', async () => {
    const { gateway } = await start();
    expect(() => classifier({ gateway, models: { complex: 'claude-opus-9' } })).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_MODEL',
        message: expect.stringContaining('`models.complex`'),
      }),
    );
  });
});
