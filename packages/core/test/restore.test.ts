import { describe, expect, it } from 'vitest';
import {
  Budget,
  BudgetExceededError,
  CostLedger,
  type LedgerEntry,
  type LedgerStore,
  MemoryLedgerStore,
} from '../src/index.js';

/** Entries of a run recorded by another ledger (as a journal would carry them). */
function elsewhere(runId: string, tasks: string[], now = () => Date.parse('2026-12-01T10:00:00Z')) {
  const other = new CostLedger({ now });
  for (const taskId of tasks)
    other.record({
      attribution: { runId, taskId, role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 1_000, output_tokens: 100 },
    });
  return other.entries();
}

describe('CostLedger.restore', () => {
  it('adds entries as they are, skips ids it holds, and appends the new ones to the store', async () => {
    const store = new MemoryLedgerStore();
    const ledger = await new CostLedger({ store }).load();
    const entries = elsewhere('r1', ['a', 'b']);
    const added = ledger.restore(entries);
    expect(added.map((entry) => entry.id)).toEqual(entries.map((entry) => entry.id));
    expect(ledger.entries({ runId: 'r1' })).toEqual(entries);
    expect(ledger.spent({ runId: 'r1' })).toBe(entries[0]!.cost.total * 2);
    expect(store.load().map((entry) => entry.id)).toEqual(entries.map((entry) => entry.id));
    // Restoring again (a second resume in the same process) adds nothing.
    expect(ledger.restore(entries)).toEqual([]);
    expect(ledger.entries()).toHaveLength(2);
    expect(ledger.costTree({ runId: 'r1' }).map((node) => node.taskId)).toEqual(['a', 'b']);
  });

  it('keeps entries in time order and refuses what is not an entry', () => {
    let time = 2_000;
    const ledger = new CostLedger({ now: () => time });
    ledger.record({
      attribution: { runId: 'r', taskId: 'late', role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    time = 1_000;
    const early = elsewhere('r', ['early'], () => time);
    ledger.restore(early);
    expect(ledger.entries().map((entry) => entry.taskId)).toEqual(['early', 'late']);
    expect(() => ledger.restore([{ id: 'x' } as unknown as LedgerEntry])).toThrow(
      /Expected `entries\[0\]` to be a ledger entry/,
    );
  });

  it('surfaces a failed store write from flush, keeping the entries in memory', async () => {
    const store: LedgerStore = {
      append: () => Promise.reject(new Error('disk full')),
      load: () => [],
    };
    const ledger = await new CostLedger({ store }).load();
    ledger.restore(elsewhere('r', ['a']));
    await expect(ledger.flush()).rejects.toMatchObject({ code: 'LEDGER_STORE_FAILED' });
    expect(ledger.entries()).toHaveLength(1);
  });
});

describe('Budget.restoreRun', () => {
  it('counts the journaled spend and the calls in flight at the crash against the run and task caps', () => {
    const entries = elsewhere('r1', ['a', 'b']);
    const each = entries[0]!.cost.total;
    const budget = new Budget({ limits: { run: each * 10, task: each * 3 } });
    budget.restoreRun({
      runId: 'r1',
      entries,
      unsettled: [{ taskId: 'a', amount: each, timestamp: 0 }],
    });
    expect(budget.status('run', 'r1')).toMatchObject({ spent: each * 3, reserved: 0 });
    expect(budget.status('task', 'r1/a')?.spent).toBe(each * 2);
    expect(budget.status('task', 'r1/b')?.spent).toBe(each);
    // Restoring twice counts once.
    budget.restoreRun({ runId: 'r1', entries });
    expect(budget.status('run', 'r1')?.spent).toBe(each * 2);
    expect(() => budget.reserve({ runId: 'r1', taskId: 'a', amount: each * 2 + 1 })).toThrow(
      BudgetExceededError,
    );
    expect(() => budget.reserve({ runId: 'r1', taskId: 'c', amount: each * 9 })).toThrow(
      BudgetExceededError,
    );
    budget.reserve({ runId: 'r1', taskId: 'c', amount: each * 3 }).settle(each * 3);
    expect(budget.status('run', 'r1')?.remaining).toBe(each * 5);
  });

  it('adds spend new to the ledger to day scopes in use, and unsettled calls to day scopes opened later', async () => {
    const time = Date.parse('2026-12-01T12:00:00Z');
    const ledger = await new CostLedger({ now: () => time }).load();
    const budget = new Budget({ limits: { day: 1_000_000_000 }, ledger, now: () => time });
    expect(budget.status('day', '2026-12-01')?.spent).toBe(0); // opened now
    const entries = elsewhere('r1', ['a']);
    const added = ledger.restore(entries);
    budget.restoreRun({
      runId: 'r1',
      entries,
      newToLedger: added,
      unsettled: [{ taskId: 'b', amount: 500, timestamp: time }],
    });
    const day = entries[0]!.cost.total + 500;
    expect(budget.status('day', '2026-12-01')?.spent).toBe(day);
    // A budget opened later reads the ledger and the unsettled calls, once.
    const later = new Budget({ limits: { day: 1_000_000_000 }, ledger, now: () => time });
    later.restoreRun({
      runId: 'r1',
      entries,
      newToLedger: [],
      unsettled: [{ taskId: 'b', amount: 500, timestamp: time }],
    });
    expect(later.status('day', '2026-12-01')?.spent).toBe(day);
  });

  it('refuses entries of another run, and a run with calls in flight', () => {
    const budget = new Budget({ limits: { run: 10_000_000 } });
    expect(() => budget.restoreRun({ runId: 'r2', entries: elsewhere('r1', ['a']) })).toThrow(
      /entries\[0\]\.runId/,
    );
    budget.reserve({ runId: 'r3', taskId: 'a', amount: 10 });
    expect(() => budget.restoreRun({ runId: 'r3', entries: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE' }),
    );
  });
});
