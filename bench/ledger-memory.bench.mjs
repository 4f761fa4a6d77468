// Heap held per ledger entry: a CostLedger records N batch-style entries
// (one per item of a map, as a batch map's ledger does), in a fresh process
// run with --expose-gc, and the live heap after a full collection is
// compared with that of N / 3 entries. Once with the ledger's default ids
// and once with `generateId: crypto.randomUUID` as it is (Node builds it by
// concatenation, which V8 keeps as a tree of string pieces). The ledger
// keeps its numbers and interned-string codes in typed arrays, outside the V8
// heap (`process.memoryUsage().arrayBuffers`, which grow by doubling), so
// both are reported. Then the time a Redis coordinator spends merging other
// processes' entries: N entries of three workers whose clocks interleave,
// restored in replies of 500 (as the coordinator reads its ledger stream),
// each reply out of order with what the ledger holds. The figures are for
// bench/README.md, never asserted.
//
// node bench/ledger-memory.bench.mjs [--entries 150000]
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';

const self = fileURLToPath(import.meta.url);

async function child(count, ids) {
  const { CostLedger } = await import('@haiku-army/core');
  const ledger = new CostLedger(ids === 'randomUUID' ? { generateId: randomUUID } : {});
  for (let index = 0; index < count; index++)
    ledger.record({
      attribution: { runId: 'run', taskId: `item-${index}`, role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 641, output_tokens: 5, service_tier: 'batch' },
      batchId: 'msgbatch_bench',
      customId: `item-${index}_1_1`,
    });
  globalThis.gc();
  globalThis.gc();
  const used = getHeapStatistics().used_heap_size;
  const offHeap = process.memoryUsage().arrayBuffers;
  process.stdout.write(
    `${JSON.stringify({ used, offHeap, entries: ledger.entries({ runId: 'none' }).length + count })}\n`,
  );
}

function heapWith(count, ids) {
  const run = spawnSync(process.execPath, ['--expose-gc', self, '--child', String(count), ids], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the bench child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim());
}

async function mergeTime(count) {
  const { CostLedger } = await import('@haiku-army/core');
  const source = new CostLedger();
  const arrivals = [];
  for (let index = 0; index < count; index++) {
    const entry = source.record({
      attribution: { runId: 'run', taskId: `item-${index}`, role: 'worker' },
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 641, output_tokens: 5 },
    });
    // Worker index % 3's clock runs up to 40 ms apart from the others'.
    arrivals.push({ ...entry, timestamp: 1_000_000 + index + (index % 3) * 40 });
  }
  const ledger = new CostLedger();
  const started = performance.now();
  for (let at = 0; at < count; at += 500) ledger.restore(arrivals.slice(at, at + 500));
  const ms = performance.now() - started;
  if (ledger.entries().length !== count) throw new Error('the merge lost entries');
  return {
    name: 'coordinator merge (replies of 500)',
    entries: count,
    ms: Math.round(ms),
    entriesPerSecond: Math.round(count / (ms / 1000)),
  };
}

export default async function ledgerMemoryBench(entries = 150_000) {
  const rows = [];
  for (const ids of ['default', 'randomUUID']) {
    const fewer = Math.round(entries / 3);
    const many = heapWith(entries, ids);
    const some = heapWith(fewer, ids);
    rows.push({
      name: `ledger memory per entry (${ids} ids)`,
      entries,
      heapBytesPerEntry: Math.round((many.used - some.used) / (entries - fewer)),
      // At N entries, over N (the columns' capacity is the next doubling past N).
      offHeapBytesPerEntry: Math.round(many.offHeap / entries),
    });
  }
  rows.push(await mergeTime(entries));
  return rows;
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]), process.argv[4]);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--entries');
  console.table(await ledgerMemoryBench(at >= 0 ? Number(argv[at + 1]) : undefined));
}
