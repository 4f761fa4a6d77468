import { createArmy, type Router } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { renderHtmlReport } from '../src/index.js';
import type { ReportData } from '../src/report-data.js';

const TIERS = ['claude-haiku-5-5', 'claude-sonnet-5-5'];

/** Haiku first; Sonnet when Haiku's answer is not a positive number. */
const escalating: Router = {
  name: 'test-escalation',
  pick: async (_subtask, context) => {
    const model = TIERS[context.attempts.length];
    return model ? { model, reason: context.attempts.length ? 'escalated' : 'cheapest' } : null;
  },
  accept: async (_subtask, attempt) => {
    const ok = z.object({ answer: z.number().positive() }).safeParse(attempt.data).success;
    return ok ? { ok: true, reason: 'valid' } : { ok: false, reason: 'not a positive answer' };
  },
};

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    latency: { firstByte: 0 },
    models: {
      'claude-haiku-5-5': () =>
        reply.toolUse('submit_result', { status: 'done', summary: 'Guess.', data: { answer: -1 } }),
      'claude-sonnet-5-5': () =>
        reply.toolUse('submit_result', { status: 'done', summary: 'Sure.', data: { answer: 7 } }),
    },
  });
});
afterAll(() => fake.close());

describe('renderHtmlReport of a real run', () => {
  it('has one bar per call with the escalations marked, and the run’s exact totals', async () => {
    fake.faults.enqueue({ kind: 'server_error', status: 503 });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', workers: escalating });
    const result = await army.map(['p', 'q', 'r'], (item) => `Answer ${item}.`, {
      output: z.object({ answer: z.number() }),
    });
    expect(result.status).toBe('done');
    const html = renderHtmlReport(result, { title: 'escalations' });
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(
      html,
    );
    const data = JSON.parse(json![1]!) as ReportData;

    expect(data.calls).toHaveLength(result.timeline.length);
    expect(data.calls).toHaveLength(6); // three Haiku attempts, three Sonnet escalations
    expect(data.calls.filter((call) => call.attempt > 1)).toHaveLength(3);
    expect(data.calls.filter((call) => call.retries > 0)).toHaveLength(1);
    expect(data.total).toBe(result.cost.total);
    expect(data.total).toBe(fake.billing.total());
    expect(data.costByModel.reduce((sum, slice) => sum + slice.nano, 0)).toBe(result.cost.total);
    expect(html).toContain(`data-role="total" data-nano-usd="${result.cost.total}"`);
    const bySubtask = data.subtaskCosts.byModel.map((row) => row.model).sort();
    expect(bySubtask).toEqual(['claude-haiku-5-5', 'claude-sonnet-5-5']);
  });
});
