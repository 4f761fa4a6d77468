import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArmyToolResult, armyTool } from '../src/ai/index.js';
import { createArmy } from '../src/index.js';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

describe('armyTool (Vercel AI SDK)', () => {
  it('runs a fan-out and hands back only the summary and the bill', async () => {
    const root = mkdtempSync(join(tmpdir(), 'army-tool-'));
    const planted: string[] = [];
    for (let index = 1; index <= 6; index++) {
      const path = `src/module-${index}.ts`;
      const hit = index % 2 === 0;
      if (hit) planted.push(path);
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), hit ? 'retryCall(fetchAll);\n' : '// nothing\n');
    }
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'test-key',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
    });
    const fanOut = armyTool(army);
    expect(fanOut.description).toMatch(/Haiku army/);
    const output = await fanOut.execute!(
      { job: 'find every place that calls "retryCall"' },
      { toolCallId: 'call-1', messages: [] },
    );
    const result = output as ArmyToolResult;
    expect(Object.keys(result).sort()).toEqual(['bill', 'runId', 'status', 'summary']);
    expect(result.status).toBe('done');
    for (const path of planted) expect(result.summary).toContain(path);
    expect(result.bill.totalNanoUsd).toBe(fake.billing.total());
    expect(Object.values(result.bill.byModel).reduce((a, b) => a + b, 0)).toBe(
      result.bill.totalNanoUsd,
    );
  }, 60_000);
});
