import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CostLedger, JsonlLedgerStore, type RecordInput } from '../src/index.js';

function call(
  taskId: string,
  parentTaskId: string | undefined,
  model: string,
  input: number,
  output: number,
  extra: Partial<RecordInput> = {},
): RecordInput {
  return {
    attribution: {
      runId: 'run-1',
      taskId,
      role: taskId === 'plan' ? 'planner' : 'worker',
      tags: [`task:${taskId}`],
      ...(parentTaskId ? { parentTaskId } : {}),
    },
    model,
    usage: { input_tokens: input, output_tokens: output },
    ...extra,
  };
}

function ledgerWithTree(): CostLedger {
  let id = 0;
  const ledger = new CostLedger({
    now: () => 1_700_000_000_000 + id,
    generateId: () => `e${++id}`,
  });
  ledger.record(call('plan', undefined, 'claude-opus-5-5', 1_000, 100)); // 4,000,000 + 2,000,000
  ledger.record(call('a', 'plan', 'claude-haiku-5-5', 10_000, 1_000)); // 1,000,000 + 500,000
  ledger.record(
    call('a', 'plan', 'claude-haiku-5-5', 10_000, 1_000, {
      attribution: {
        runId: 'run-1',
        taskId: 'a',
        parentTaskId: 'plan',
        role: 'worker',
        attempt: 2,
        tags: ['task:a'],
      },
    }),
  );
  ledger.record(call('a.1', 'a', 'claude-sonnet-5-5', 1_000, 100)); // 2,000,000 + 1,000,000
  ledger.record(call('b', 'plan', 'claude-haiku-5-5', 2_000, 0)); // 200,000
  return ledger;
}

describe('CostLedger', () => {
  it('records one priced entry per call with its attribution', () => {
    const ledger = ledgerWithTree();
    const [first] = ledger.entries();
    expect(first).toMatchObject({
      id: 'e1',
      runId: 'run-1',
      taskId: 'plan',
      role: 'planner',
      model: 'claude-opus-5-5',
      attempt: 1,
      tags: ['task:plan'],
      cost: { input: 4_000_000, output: 2_000_000, cacheWrite: 0, cacheRead: 0, total: 6_000_000 },
      outcome: 'success',
    });
    expect(ledger.entries().length).toBe(5);
    expect(ledger.spent()).toBe(6_000_000 + 1_500_000 * 2 + 3_000_000 + 200_000);
  });

  it('rolls costs up the task tree', () => {
    const ledger = ledgerWithTree();
    const [root] = ledger.costTree({ runId: 'run-1' });
    expect(root?.taskId).toBe('plan');
    expect(root?.own.cost.total).toBe(6_000_000);
    expect(root?.total.cost.total).toBe(12_200_000);
    expect(root?.total.calls).toBe(5);
    const a = root?.children.find((child) => child.taskId === 'a');
    expect(a?.own.cost.total).toBe(3_000_000);
    expect(a?.total.cost.total).toBe(6_000_000);
    expect(a?.children.map((child) => child.taskId)).toEqual(['a.1']);
    expect(ledger.subtree('a').cost.total).toBe(6_000_000);
    expect(ledger.subtree('b').cost.total).toBe(200_000);
  });

  it('groups by model, role and tag', () => {
    const ledger = ledgerWithTree();
    expect(ledger.byModel()['claude-haiku-5-5']?.cost.total).toBe(3_200_000);
    expect(ledger.byModel()['claude-haiku-5-5']?.calls).toBe(3);
    expect(ledger.byRole().planner?.cost.total).toBe(6_000_000);
    expect(ledger.byRole().worker?.cost.total).toBe(6_200_000);
    expect(ledger.byTag()['task:a']?.calls).toBe(2);
    expect(ledger.byTask().a?.usage.inputTokens).toBe(20_000);
    expect(ledger.totals({ model: 'claude-sonnet-5-5' }).cost.total).toBe(3_000_000);
  });

  it('prices a baseline at a reference model without discounts', () => {
    const ledger = new CostLedger();
    ledger.record({
      attribution: { runId: 'r', taskId: 't', role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 900,
        output_tokens: 10,
        service_tier: 'batch',
      },
    });
    // Haiku batch: (100*100 + 900*10 + 10*500) / 2 = 12,000
    const report = ledger.baseline();
    expect(report).toEqual({
      model: 'claude-opus-5-5',
      baseline: 1_000 * 4000 + 10 * 20000,
      actual: 12_000,
      savings: 4_188_000,
      savingsRatio: 4_188_000 / 4_200_000,
    });
    expect(ledger.baseline({}, 'claude-sonnet-5-5').baseline).toBe(1_000 * 2000 + 10 * 10000);
  });

  it('exports JSON and CSV', () => {
    const ledger = ledgerWithTree();
    const json = ledger.toJSON();
    expect(json.entries.length).toBe(5);
    expect(json.totals.cost.total).toBe(12_200_000);
    const csv = ledger.toCSV().trim().split('\n');
    expect(csv.length).toBe(6);
    expect(csv[0]?.split(',')).toContain('costTotalNano');
    expect(csv[1]).toContain('6000000');
  });

  it('JSONL store survives a restart and skips a torn last line with a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    const path = join(dir, 'nested', 'ledger.jsonl');
    const first = new CostLedger({ store: new JsonlLedgerStore({ path }) });
    first.record(call('a', undefined, 'claude-haiku-5-5', 1_000, 10));
    first.record(call('b', undefined, 'claude-haiku-5-5', 2_000, 10));
    await first.close();

    // A process killed mid-write leaves half a line behind.
    const whole = readFileSync(path, 'utf8');
    writeFileSync(path, `${whole}{"id":"torn","runId":"run-1","tas`);

    const warn = vi.fn();
    const second = new CostLedger({ store: new JsonlLedgerStore({ path, logger: { warn } }) });
    await second.load();
    expect(second.entries().map((entry) => entry.taskId)).toEqual(['a', 'b']);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toMatch(/torn last line \(line 3\)/);

    second.record(call('c', undefined, 'claude-haiku-5-5', 3_000, 10));
    await second.close();
    const third = new CostLedger({
      store: new JsonlLedgerStore({ path, logger: { warn: () => {} } }),
    });
    await third.load();
    expect(third.entries().map((entry) => entry.taskId)).toEqual(['a', 'b', 'c']);
    expect(third.spent()).toBe(first.spent() + 300_000 + 5_000);
  });

  it('names the bad attribution', () => {
    const ledger = new CostLedger();
    expect(() =>
      ledger.record({ attribution: { runId: 'r' } as never, model: 'claude-haiku-5-5', usage: {} }),
    ).toThrow(/`attribution`/);
  });
});
