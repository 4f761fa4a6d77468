import { readFileSync } from 'node:fs';
import * as core from '@haiku-army/core';
import * as testing from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import * as worker from '../src/index.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The first ```ts block after a heading. */
function codeAfter(heading: string): string {
  const at = README.indexOf(heading);
  if (at === -1) throw new Error(`No heading ${heading}`);
  const match = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  if (!match) throw new Error(`No ts block after ${heading}`);
  return match[1]!;
}

const modules: Record<string, Record<string, unknown>> = {
  '@haiku-army/core': core,
  '@haiku-army/testing': testing,
  '@haiku-army/worker': worker,
  zod: z,
};

/** Runs a README block with its imports bound to the real modules, except for what `bindings` replaces. */
async function runBlock(code: string, bindings: Record<string, unknown>): Promise<void> {
  const names: Record<string, unknown> = {};
  for (const [, what, from] of code.matchAll(/^import (.*) from '([^']+)';$/gm)) {
    const module = modules[from!];
    if (!module) throw new Error(`The README imports ${from}, which this test does not provide`);
    const star = /^\* as (\w+)$/.exec(what!);
    if (star) names[star[1]!] = module;
    else
      for (const name of /^\{ (.*) \}$/.exec(what!)![1]!.split(', ')) {
        if (!(name in module)) throw new Error(`${from} has no export ${name}`);
        names[name] = module[name];
      }
  }
  Object.assign(names, bindings);
  const body = code.replace(/^import .*$/gm, '');
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...parameters: string[]
  ) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction(...Object.keys(names), body)(...Object.values(names));
}

describe('worker README', () => {
  it('runs the quick start as written: two tasks, one call each, costs that add up to the bill', async () => {
    const lines: unknown[][] = [];
    const fakes: testing.FakeAnthropicServer[] = [];
    const startFakeAnthropic = async (options: testing.StartFakeAnthropicOptions) => {
      const fake = await testing.startFakeAnthropic(options);
      fakes.push(fake);
      return fake;
    };
    const code = codeAfter('## Quick start');
    expect(code.split('\n').filter(Boolean).length).toBeLessThanOrEqual(15);
    await runBlock(code, {
      startFakeAnthropic,
      console: { log: (...values: unknown[]) => lines.push(values) },
    });
    expect(fakes).toHaveLength(1);
    const [fake] = fakes as [testing.FakeAnthropicServer];
    const entries = fake.billing.entries;
    expect(entries).toHaveLength(2);
    expect(lines.map((line) => line.slice(0, 3))).toEqual([
      ['app.ts', 'done', { exports: ['main', 'run'] }],
      ['cli.ts', 'done', { exports: ['main', 'run'] }],
    ]);
    const costs = lines.map((line) => line[3] as number);
    expect(costs.every((cost) => Number.isInteger(cost) && cost > 0)).toBe(true);
    expect(costs[0]! + costs[1]!).toBe(fake.billing.total());
  });

  it('documents the ledger calls and the cost-tree node shape core actually has', () => {
    const ledgerBlock = codeAfter('### Run ids and the ledger');
    for (const call of ['ledger.entries(', 'ledger.byTask(', 'ledger.costTree('])
      expect(ledgerBlock).toContain(call);
    const ledger = new core.CostLedger();
    ledger.record({
      attribution: { runId: 'r', taskId: 'child', parentTaskId: 'root', role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 10, output_tokens: 5 },
    });
    ledger.record({
      attribution: { runId: 'r', taskId: 'root', role: 'planner' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 10, output_tokens: 5 },
    });
    const [root] = ledger.costTree({ runId: 'r' });
    const nodeBlock = /interface CostTreeNode \{([\s\S]*?)\n\s*\}/.exec(README)![1]!;
    const documented = [...nodeBlock.matchAll(/^\s*(\w+)\??:/gm)].map((match) => match[1]).sort();
    expect(documented).toEqual(['children', 'own', 'parentTaskId', 'taskId', 'total']);
    expect(Object.keys(root!).sort()).toEqual(['children', 'own', 'taskId', 'total']);
    expect(Object.keys(root!.children[0]!).sort()).toEqual(documented);
    expect(Object.keys(ledger.byTask()).sort()).toEqual(['child', 'root']);
    expect(Object.keys(ledger.byTask().root!).sort()).toEqual([
      'calls',
      'cost',
      'estimated',
      'usage',
    ]);
    const totals = /`LedgerTotals`, `\{ (.*?) \}`/.exec(README)![1]!.split(', ').sort();
    expect(totals).toEqual(['calls', 'cost', 'estimated', 'usage']);
    const entryFields = /\*\*`LedgerEntry`:\*\* `\{ (.*?) \}`/.exec(README)![1]!.split(', ');
    const entry = ledger.entries()[0]!;
    for (const key of Object.keys(entry))
      expect(entryFields).toContainEqual(expect.stringMatching(new RegExp(`^${key}\\??$`)));
  });
});
