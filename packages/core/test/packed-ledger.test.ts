import { describe, expect, it } from 'vitest';
import { CostLedger, type LedgerEntry, type LedgerStore } from '../src/index.js';

/** A ledger whose entries cover every optional field record() can write. */
function variedLedger(store?: LedgerStore): { ledger: CostLedger; recorded: LedgerEntry[] } {
  let clock = 1_000;
  let id = 0;
  const ledger = new CostLedger({
    ...(store ? { store } : {}),
    now: () => (clock += 7),
    generateId: () => `id-${++id}`,
  });
  const recorded = [
    ledger.record({
      attribution: { runId: 'r1', taskId: 'plan', role: 'planner' },
      model: 'claude-opus-5-5',
      usage: {
        input_tokens: 1_200,
        output_tokens: 300,
        cache_creation_input_tokens: 50,
        cache_read_input_tokens: 4_000,
      },
      requestId: 'req_1',
      latencyMs: 812,
    }),
    ledger.record({
      attribution: {
        runId: 'r1',
        taskId: 'a',
        parentTaskId: 'plan',
        role: 'worker',
        attempt: 2,
        tags: ['docs', 'x'],
      },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 900, output_tokens: 40, service_tier: 'batch' },
      batchId: 'msgbatch_1',
      customId: 'item-0',
      retries: 3,
      outcome: 'max_tokens',
    }),
    ledger.record({
      attribution: { runId: 'r2', taskId: 'b', role: 'worker', tags: ['x'] },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 10, output_tokens: 5 },
      estimated: true,
      reservedBound: 99_000,
      outcome: 'aborted',
    }),
    ledger.record({
      attribution: { runId: 'r2', taskId: 'c', role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 0, output_tokens: 0 },
      reused: { originalCost: { input: 1, output: 2, cacheWrite: 3, cacheRead: 4, total: 10 } },
    }),
  ];
  return { ledger, recorded };
}

describe('CostLedger kept in columns', () => {
  it('gives back every field of every entry exactly as record() returned it', () => {
    const { ledger, recorded } = variedLedger();
    const read = ledger.entries();
    expect(read).toEqual(recorded);
    // Key order too: JSON exports and journals stay byte-identical.
    expect(read.map((entry) => JSON.stringify(entry))).toEqual(
      recorded.map((entry) => JSON.stringify(entry)),
    );
    expect(ledger.batchEntry('msgbatch_1', 'item-0')).toEqual(recorded[1]);
    expect(ledger.batchEntry('msgbatch_1', 'item-1')).toBeUndefined();
    expect(ledger.entry('id-3')).toEqual(recorded[2]);
    expect(ledger.entry('id-1')).toEqual(recorded[0]);
    expect(ledger.entry('no-such-id')).toBeUndefined();
    expect(ledger.entries({ tag: 'x' }).map((entry) => entry.taskId)).toEqual(['a', 'b']);
    expect(ledger.entries({ runId: 'r2', role: 'worker' })).toHaveLength(2);
    expect(ledger.spent({ runId: 'r2' })).toBe(99_000);
  });

  it('hands out copies: changing a read entry changes nothing stored', () => {
    const { ledger } = variedLedger();
    const [first] = ledger.entries();
    first!.cost.total = 0;
    // An entry without tags shares one frozen empty array (see LedgerEntry.tags).
    expect(Object.isFrozen(first!.tags)).toBe(true);
    expect(ledger.entries()[0]!.cost.total).toBeGreaterThan(0);
    const [, tagged] = ledger.entries();
    (tagged!.tags as string[]).push('mutated');
    expect(ledger.entries()[1]!.tags).toEqual(['docs', 'x']);
  });

  it('keeps an entry of another shape whole, and reorders by time with the batch index following', () => {
    const { ledger, recorded } = variedLedger();
    const foreign = {
      ...recorded[1]!,
      id: 'foreign',
      timestamp: 1,
      customId: 'item-9',
      note: 'written by another version',
    } as LedgerEntry;
    expect(ledger.restore([foreign])).toHaveLength(1);
    const read = ledger.entries();
    expect(read[0]).toEqual(foreign);
    expect(read.slice(1)).toEqual(recorded);
    expect(ledger.batchEntry('msgbatch_1', 'item-9')).toEqual(foreign);
    expect(ledger.batchEntry('msgbatch_1', 'item-0')).toEqual(recorded[1]);
    expect(ledger.entries({ runId: 'r1', tag: 'docs' }).map((entry) => entry.id)).toEqual([
      'foreign',
      'id-2',
    ]);
  });

  it('streams entries one at a time from each(), and one recorded meanwhile is not among them', () => {
    const { ledger, recorded } = variedLedger();
    const seen: string[] = [];
    for (const entry of ledger.each({ runId: 'r1' })) {
      seen.push(entry.id);
      ledger.record({
        attribution: { runId: 'r1', taskId: 'late', role: 'worker' },
        model: 'claude-haiku-5-5',
        usage: { input_tokens: 1, output_tokens: 1 },
      });
    }
    expect(seen).toEqual([recorded[0]!.id, recorded[1]!.id]);
    expect(ledger.entries({ runId: 'r1' })).toHaveLength(4);
  });

  it('without a store holds nothing twice; with one, the store gets each entry once', async () => {
    const appended: LedgerEntry[] = [];
    const store: LedgerStore = { append: (entry) => void appended.push(entry), load: () => [] };
    const { ledger, recorded } = variedLedger(store);
    await ledger.load();
    expect(appended).toEqual(recorded);
    const bare = await variedLedger().ledger.load();
    expect(bare.entries()).toHaveLength(4);
    expect(bare.loaded).toBe(true);
  });
  it('merges entries restored out of order in many replies into the order a full sort gives', () => {
    // Three "processes" whose entries interleave in time, arriving in small, shuffled replies.
    const source = new CostLedger({
      generateId: (() => {
        let n = 0;
        return () => `src-${n++}`;
      })(),
    });
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const all: LedgerEntry[] = [];
    for (let k = 0; k < 600; k++) {
      const entry = source.record({
        attribution: { runId: 'r', taskId: `t${k}`, role: 'worker', tags: k % 3 ? [] : ['p'] },
        model: 'claude-haiku-5-5',
        usage: { input_tokens: k + 1, output_tokens: 1, service_tier: 'batch' },
        batchId: `msgbatch_${k % 4}`,
        customId: `item-${k}`,
      });
      // Equal timestamps on purpose: the merge must stay stable among them.
      all.push({ ...entry, timestamp: 1_000 + Math.floor(random() * 200) });
    }
    // One unusual entry among them, kept whole.
    all[123] = { ...all[123]!, note: 'from another version' } as LedgerEntry;
    const ledger = new CostLedger();
    const plan = ledger.record({
      attribution: { runId: 'r', taskId: 'plan', role: 'planner' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    const replies: LedgerEntry[][] = [];
    for (let k = 0; k < all.length; ) {
      const size = 1 + Math.floor(random() * 40);
      replies.push(all.slice(k, k + size).sort(() => random() - 0.5));
      k += size;
    }
    for (const reply of replies) ledger.restore(reply);
    // A repeat delivery adds nothing.
    expect(ledger.restore(all.slice(0, 50))).toEqual([]);
    const expected = [plan, ...replies.flat()]
      .map((entry, order) => ({ entry, order }))
      .sort((a, b) => a.entry.timestamp - b.entry.timestamp || a.order - b.order)
      .map(({ entry }) => entry);
    // The planner's entry (recorded now) is newer than every restored one.
    expect(expected.at(-1)!.taskId).toBe('plan');
    expect(ledger.entries().map((entry) => entry.id)).toEqual(expected.map((entry) => entry.id));
    expect(ledger.entries()).toEqual(expected);
    for (const entry of all)
      expect(ledger.batchEntry(entry.batchId!, entry.customId!)?.id).toBe(entry.id);
    expect(ledger.entries({ tag: 'p' })).toHaveLength(200);
    // The entry kept whole is handed out as a copy too.
    const whole = ledger.entries().find((entry) => entry.id === all[123]!.id)!;
    whole.cost.total = -1;
    expect(ledger.batchEntry(all[123]!.batchId!, all[123]!.customId!)?.cost.total).toBe(
      all[123]!.cost.total,
    );
  });
  it('loads an id its store holds twice once, and refuses an entry it cannot copy without changing anything', async () => {
    const { recorded } = variedLedger();
    const store: LedgerStore = {
      append: () => {},
      load: () => [recorded[0]!, recorded[1]!, recorded[0]!],
    };
    const loaded = await new CostLedger({ store }).load();
    expect(loaded.entries()).toEqual([recorded[0], recorded[1]]);

    const ledger = new CostLedger();
    const odd = { ...recorded[2]!, id: 'odd', timestamp: 1, hook: () => 1 } as LedgerEntry;
    expect(() => ledger.restore([recorded[1]!, odd, recorded[3]!])).toThrow(
      /entries\[1\].*plain data/,
    );
    // The entry before it is in, nothing of the refused one is, and the ledger still lines up.
    expect(ledger.entries()).toEqual([recorded[1]]);
    expect(
      ledger.restore([recorded[3]!, { ...odd, hook: 'now plain' } as LedgerEntry]),
    ).toHaveLength(2);
    expect(ledger.entries().map((entry) => entry.id)).toEqual(['odd', 'id-2', 'id-4']);
    expect(ledger.batchEntry('msgbatch_1', 'item-0')?.id).toBe('id-2');
    expect(ledger.entry('id-4')).toEqual(recorded[3]);
  });
});
