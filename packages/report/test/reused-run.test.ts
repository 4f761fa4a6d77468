import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArmy } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNanoUsd, renderHtmlReport } from '../src/index.js';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    latency: { firstByte: 0 },
    models: {
      'claude-haiku-5-5': () =>
        reply.toolUse('submit_result', { status: 'done', summary: 'Counted 3.' }),
      'claude-opus-5-5': () => reply.text('Three in all.'),
    },
  });
});
afterAll(() => fake.close());

describe('renderHtmlReport of a run that reused cached results', () => {
  it('marks each reused subtask with what it cost when it ran, and shows the saving', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'report-reuse-')), 'cache');
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', journal: false, cache });
    const plan = {
      reasoning: 'two counts',
      subtasks: [
        { id: 'a', title: 'Count A', brief: { objective: 'Count the As.' }, dependsOn: [] },
        { id: 'b', title: 'Count B', brief: { objective: 'Count the Bs.' }, dependsOn: [] },
      ],
    };
    const first = await army.runPlan(plan, { job: 'count' });
    const second = await army.runPlan(plan, { job: 'count' });
    expect(second.cost.total).toBe(0);
    expect(second.reused).toBe(3);
    expect(second.savedByReuse).toBe(first.cost.total);
    const html = renderHtmlReport(second);
    const costOfA = first.subtasks.find((subtask) => subtask.id === 'a')!.cost.total;
    const was = (text: string) =>
      `${text} <span class="money" data-nano-usd="${costOfA}">${formatNanoUsd(costOfA)}</span>`;
    expect(html.includes(was('reused; was'))).toBe(true); // the subtasks table
    expect(html.includes(was('reused, was'))).toBe(true); // the cost tree
    expect(
      html.includes(
        `data-role="reuse-saving" data-nano-usd="${first.cost.total}">${formatNanoUsd(first.cost.total)}</span>`,
      ),
    ).toBe(true);
    expect(renderHtmlReport(first).includes('reused; was')).toBe(false);
  });
});
