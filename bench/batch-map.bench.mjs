// A batch-mode army.map over N items read from an iterable (a generator), in
// chunks, against the fake API served by this process over HTTP (one call
// per item: the worker answers at once): each size runs in a fresh client
// process, which reports its items per second and its peak RSS
// (process.resourceUsage().maxRSS). The figures are for bench/README.md,
// never asserted.
//
// Each size runs twice: with Node's default heap limit (sized to the
// machine: V8 collects lazily below it, so RSS shows its slack, not the live
// heap) and with --max-old-space-size=<--heap MB> (RSS close to the live heap).
//
// By default the map keeps no per-item result in memory (`keepResults:
// false`, its results counted); --keep keeps each compact result. --ahead
// sets `chunksAhead` (chunks submitted past the one running; the army's
// default if not given), and --batch-ms how long the fake takes to process
// a batch (10 ms: the API takes minutes to hours, so with a longer one the
// figures show what submitting ahead saves in waiting).
//
// node bench/batch-map.bench.mjs [--sizes 10000,100000] [--chunk 10000] [--ahead N] [--batch-ms 10] [--heap 256] [--keep] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { batchMapArmy, ticketBrief, tickets } from './lib/batch-map-army.mjs';

const self = fileURLToPath(import.meta.url);

/** The client: one streamed batch map, then one JSON line of figures. */
async function client(url, items, chunkSize, journal, keepResults, chunksAhead) {
  const army = await batchMapArmy(url, journal);
  const started = performance.now();
  const result = await army.map(tickets(items), ticketBrief, {
    mode: 'batch',
    chunkSize,
    keepResults,
    ...(chunksAhead !== undefined ? { chunksAhead } : {}),
  });
  const elapsedMs = performance.now() - started;
  const done = result.counts.done;
  // What is still reachable once the run is over (the army, its ledger and
  // the result), after a full collection: the client runs with --expose-gc
  // for this one call, which changes nothing before it.
  globalThis.gc();
  const liveHeapMb = Math.round(getHeapStatistics().used_heap_size / 1024 / 1024);
  process.stdout.write(
    `${JSON.stringify({
      status: result.status,
      done,
      elapsedMs: Math.round(elapsedMs),
      itemsPerSecond: Math.round((items / elapsedMs) * 1000),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      liveHeapMb,
      ledgerNanoUsd: army.ledger.spent(),
      batchSavingNanoUsd: result.cost.batchSaving,
    })}\n`,
  );
}

function runClient(url, items, chunkSize, heapMb, keepResults, chunksAhead) {
  const journal = mkdtempSync(join(tmpdir(), 'batch-map-bench-'));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
        self,
        '--client',
        url,
        String(items),
        String(chunkSize),
        journal,
        String(keepResults),
        String(chunksAhead ?? ''),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('exit', (code) => {
      rmSync(journal, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`The bench client exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

export default async function batchMapBench(
  sizes = [Number(process.env.BENCH_BATCH_MAP_ITEMS ?? 10_000)],
  chunkSize = 10_000,
  heaps = [undefined, 256],
  keepResults = false,
  { chunksAhead, batchMs = 10 } = {},
) {
  const rows = [];
  for (const items of sizes) {
    for (const heapMb of heaps) {
      // A fresh fake per run, so its bill is the run's.
      const fake = await startFakeAnthropic({
        batchProcessingMs: batchMs,
        defaultResponder: () => reply.text('label: printer'),
      });
      try {
        const figures = await runClient(
          fake.url,
          items,
          chunkSize,
          heapMb,
          keepResults,
          chunksAhead,
        );
        const billed = { nanoUsd: fake.billing.total() };
        rows.push({
          name: `${items} items, chunks of ${chunkSize}${chunksAhead !== undefined ? ` (${chunksAhead} ahead)` : ''}, heap ${heapMb ? `${heapMb} MB` : 'default'}${keepResults ? ', results kept' : ''}${batchMs !== 10 ? `, batches take ${batchMs} ms` : ''}`,
          items,
          chunkSize,
          chunksAhead: chunksAhead ?? 'default',
          batchMs,
          keepResults,
          heapMb: heapMb ?? 'default',
          ...figures,
          billedNanoUsd: billed.nanoUsd,
          reconciles: billed.nanoUsd === figures.ledgerNanoUsd,
        });
      } finally {
        await fake.close();
      }
    }
  }
  return rows;
}

if (process.argv[2] === '--client') {
  const [, , , url, items, chunkSize, journal, keepResults, chunksAhead] = process.argv;
  await client(
    url,
    Number(items),
    Number(chunkSize),
    journal,
    keepResults === 'true',
    chunksAhead ? Number(chunksAhead) : undefined,
  );
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  const sizes = option('sizes', '10000,100000').split(',').map(Number);
  const rows = await batchMapBench(
    sizes,
    Number(option('chunk', '10000')),
    [undefined, Number(option('heap', '256'))],
    argv.includes('--keep'),
    {
      chunksAhead: option('ahead') === undefined ? undefined : Number(option('ahead')),
      batchMs: Number(option('batch-ms', '10')),
    },
  );
  if (argv.includes('--json')) for (const row of rows) console.log(JSON.stringify(row));
  else console.table(rows);
}
