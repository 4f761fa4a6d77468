import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { addCost, zeroCost } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import {
  createDemoResponders,
  type FakeAnthropicServer,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** 24 modules; every fourth calls retryCall (planted); each has a line only read_file sees. */
function fixture(): { root: string; planted: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'army-search-'));
  const planted: string[] = [];
  for (let index = 1; index <= 24; index++) {
    const path = `src/${index % 2 === 0 ? 'api' : 'lib'}/module-${String(index).padStart(2, '0')}.ts`;
    const lines = [`// module ${index}`, `export const marker = 'TRANSCRIPT-ONLY-${index}';`];
    if (index % 4 === 0) {
      lines.push(`export const load = () => retryCall(() => fetch('/v${index}'));`);
      planted.push(path);
    }
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${lines.join('\n')}\n`);
  }
  return { root, planted };
}

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({ ...createDemoResponders(), latency: { firstByte: 0 } });
});
afterAll(() => fake.close());

describe('createArmy end to end over HTTP (the official SDK against the fake API)', () => {
  it('a codebase search finds every planted match; the ledger equals the bill call by call', async () => {
    const { root, planted } = fixture();
    fake.reset();
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
    });
    const result = await army.run('find every place that calls "retryCall"');

    expect(result.status).toBe('done');
    expect(result.subtasks.length).toBeGreaterThan(1);
    for (const path of planted) expect(result.answer).toContain(path);

    // The ledger is the fake's billing log, call by call.
    const entries = army.ledger.entries({ runId: result.runId });
    const billed = fake.billing.entries;
    expect(entries).toHaveLength(billed.length);
    const byRequest = new Map(billed.map((entry) => [entry.requestId, entry]));
    for (const entry of entries) {
      const bill = byRequest.get(entry.requestId!);
      expect(bill, `billing entry of ${entry.requestId}`).toBeDefined();
      expect(entry.model).toBe(bill!.model);
      expect(entry.cost).toEqual(bill!.cost);
      expect(entry.usage.inputTokens).toBe(bill!.usage.input_tokens);
      expect(entry.usage.outputTokens).toBe(bill!.usage.output_tokens);
    }
    expect(result.cost.totals.total).toBe(fake.billing.total());

    // The cost tree sums to the total, and each subtask to its attempts.
    const { tree } = result.cost;
    let sum = addCost(
      addCost(tree.planner.cost, tree.router.cost),
      addCost(tree.synthesis.cost, tree.other.cost),
    );
    for (const subtask of tree.subtasks) {
      sum = addCost(sum, subtask.totals.cost);
      const attempts = subtask.attempts.reduce(
        (total, attempt) => addCost(total, attempt.totals.cost),
        zeroCost(),
      );
      expect(attempts).toEqual(subtask.totals.cost);
      expect(result.subtasks.find((s) => s.id === subtask.id)!.cost).toEqual(subtask.totals.cost);
    }
    expect(sum).toEqual(result.cost.totals);
    expect(tree.planner.calls).toBe(1);
    expect(tree.synthesis.calls).toBe(1);
    expect(result.timeline).toHaveLength(entries.length);
    expect(result.baseline.model).toBe('claude-opus-5-5');
    expect(result.baseline.savings).toBeGreaterThan(0);

    // Worker transcripts (file contents read by read_file) never reach the planner or synthesizer.
    const requests = fake.transcript.messages();
    const planner = requests.filter((request) => request.output_config?.format);
    const synthesizer = requests.filter((request) =>
      JSON.stringify(request.system ?? '').includes('synthesizer'),
    );
    const workers = requests.filter((request) => (request.tools ?? []).length > 0);
    expect(planner).toHaveLength(1);
    expect(synthesizer).toHaveLength(1);
    expect(workers.some((request) => JSON.stringify(request).includes('TRANSCRIPT-ONLY'))).toBe(
      true,
    );
    for (const request of [...planner, ...synthesizer])
      expect(JSON.stringify(request)).not.toContain('TRANSCRIPT-ONLY');
    // The planner was told the workers' tools.
    expect(JSON.stringify(planner[0]!.system)).toContain('grep');
  });

  it('offline by default: the simulated planner plans the whole workspace when told nothing about it', async () => {
    const { root, planted } = fixture();
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
    });
    const result = await army.run('find every place that calls "retryCall"');
    expect(result.status).toBe('done');
    expect(result.subtasks.map((subtask) => subtask.id)).toEqual(['search-1']);
    for (const path of planted) expect(result.answer).toContain(path);
  });
});
