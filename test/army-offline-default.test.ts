import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createArmy } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 10, point 10: the fake's default behaviours, with no responders, run a
// codebase-search army end to end offline (simulated planner, workers using the
// real tools, simulated synthesizer).
let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

describe('createArmy against startFakeAnthropic() with no options', () => {
  it('plans, searches with the real tools and answers with every planted match', async () => {
    const root = mkdtempSync(join(tmpdir(), 'army-default-'));
    const planted: string[] = [];
    for (let index = 1; index <= 8; index++) {
      const path = `src/module-${index}.ts`;
      const body =
        index % 3 === 0 ? 'export const load = () => retryCall(fetchAll);\n' : '// nothing\n';
      if (index % 3 === 0) planted.push(path);
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), body);
    }
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
    });
    const result = await army.run('find every place that calls "retryCall"');
    expect(result.status).toBe('done');
    expect(result.answer).not.toMatch(/^Simulated reply/);
    for (const path of planted) expect(result.answer).toContain(path);
    const roles = new Set(army.ledger.entries({ runId: result.runId }).map((entry) => entry.role));
    expect([...roles].sort()).toEqual(['planner', 'synthesizer', 'worker']);
    expect(army.ledger.totals({ runId: result.runId }).cost.total).toBe(fake.billing.total());
  });

  it('leaves a plain request with the one-sentence reply', async () => {
    const response = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'test-key',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'claude-haiku-5-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hello' }],
      }),
    });
    const body = (await response.json()) as { content: { text: string }[] };
    expect(body.content[0]?.text).toBe('Simulated reply from claude-haiku-5-5.');
  });
});
