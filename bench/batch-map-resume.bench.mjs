// What resuming a long batch map costs its process: a batch-mode army.map
// over N items (a generator) in chunks, in a client process against the fake
// API served by this process over HTTP, SIGKILLed once a given share of its
// chunks is journaled (between chunks: every chunk read has its batch
// journaled; with --in-create, while a batch create is in flight: the
// create is journaled, its batch id is not); then a second client resumes
// it from the journal and
// reports its peak RSS (process.resourceUsage().maxRSS), its time and the
// live heap after the run. Both clients run with Node's default heap limit.
// The fake's bill is compared with the resumed ledger (which holds the first
// process's journaled calls too). The figures are for bench/README.md,
// never asserted.
//
// node bench/batch-map-resume.bench.mjs [--items 100000] [--chunk 1000] [--ahead N] [--kill-at 0.8] [--in-create] [--json]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { reply, startFakeAnthropic } from '@haiku-army/testing';
import { batchMapArmy, ticketBrief, tickets } from './lib/batch-map-army.mjs';

const self = fileURLToPath(import.meta.url);

/** A client: starts the map (printing its run id) or resumes it, then prints one JSON line of figures. */
async function client(url, journal, items, chunkSize, runId, chunksAhead) {
  const ahead = chunksAhead === '' ? {} : { chunksAhead: Number(chunksAhead) };
  const army = await batchMapArmy(url, journal);
  const started = performance.now();
  const handle =
    runId === '-'
      ? army.map(tickets(items), ticketBrief, {
          mode: 'batch',
          chunkSize,
          keepResults: false,
          ...ahead,
        })
      : army.resume(runId, { items: tickets(items), brief: ticketBrief, ...ahead });
  process.stdout.write(`run ${handle.runId}\n`);
  const result = await handle;
  const elapsedMs = performance.now() - started;
  globalThis.gc();
  process.stdout.write(
    `${JSON.stringify({
      status: result.status,
      done: result.counts.done,
      elapsedMs: Math.round(elapsedMs),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      liveHeapMb: Math.round(getHeapStatistics().used_heap_size / 1024 / 1024),
      ledgerNanoUsd: army.ledger.spent(),
    })}\n`,
  );
}

function startClient(url, journal, items, chunkSize, chunksAhead, runId = '-') {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      self,
      '--client',
      url,
      journal,
      String(items),
      String(chunkSize),
      runId,
      String(chunksAhead ?? ''),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, out: () => out };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function batchMapResumeBench(
  items = 100_000,
  chunkSize = 1_000,
  killAt = 0.8,
  chunksAhead = undefined,
  inCreate = false,
) {
  const journal = mkdtempSync(join(tmpdir(), 'batch-map-resume-bench-'));
  const fake = await startFakeAnthropic({
    batchProcessingMs: 10,
    defaultResponder: () => reply.text('label: printer'),
  });
  try {
    const first = startClient(fake.url, journal, items, chunkSize, chunksAhead);
    let runId;
    while (!runId) {
      await sleep(50);
      runId = /run (\S+)\n/.exec(first.out())?.[1];
    }
    const file = join(journal, runId, 'journal.jsonl');
    const killAfter = Math.max(1, Math.round((items / chunkSize) * killAt));
    // Killed between chunks: once every chunk read has its batch journaled
    // (no create in flight); or in a create: one is journaled, its batch is not.
    for (;;) {
      await sleep(inCreate ? 2 : 20);
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const chunks = (text.match(/^\{"type":"chunk"/gm) ?? []).length;
      const creates = (text.match(/^\{"type":"batch-creating"/gm) ?? []).length;
      const batches = (text.match(/^\{"type":"batch",/gm) ?? []).length;
      if (chunks >= killAfter && (inCreate ? creates > batches : batches >= chunks)) break;
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const journalMb = Math.round(readFileSync(file).length / 1024 / 1024);
    const second = startClient(fake.url, journal, items, chunkSize, chunksAhead, runId);
    const code = await second.exited;
    if (code !== 0) throw new Error(`The resuming client exited with ${code}`);
    const figures = JSON.parse(second.out().trim().split('\n').at(-1));
    const billedNanoUsd = fake.billing.total();
    // Every chunk one batch and every item billed once: a resume that
    // resubmitted a chunk would create more batches and bill items twice.
    const batchesCreated = fake.transcript.entries.filter(
      (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
    ).length;
    return [
      {
        name: `${items} items, chunks of ${chunkSize}${chunksAhead !== undefined ? ` (${chunksAhead} ahead)` : ''}, killed ${inCreate ? 'in a batch create' : 'between chunks'} after ${killAfter} chunks, resumed`,
        items,
        chunkSize,
        chunksAhead: chunksAhead ?? 'default',
        killedAfterChunks: killAfter,
        killedInCreate: inCreate,
        journalMbAtKill: journalMb,
        ...figures,
        billedNanoUsd,
        reconciles: billedNanoUsd === figures.ledgerNanoUsd,
        chunks: Math.ceil(items / chunkSize),
        batchesCreated,
        // A resume looks a lost create up in the API's list (none between chunks).
        batchLists: fake.transcript.entries.filter(
          (entry) => entry.method === 'GET' && entry.path === '/v1/messages/batches',
        ).length,
        billedRequests: fake.billing.entries.length,
      },
    ];
  } finally {
    await fake.close();
    rmSync(journal, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--client') {
  const [, , , url, journal, items, chunkSize, runId, chunksAhead] = process.argv;
  await client(url, journal, Number(items), Number(chunkSize), runId, chunksAhead);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  const rows = await batchMapResumeBench(
    Number(option('items', '100000')),
    Number(option('chunk', '1000')),
    Number(option('kill-at', '0.8')),
    option('ahead') === undefined ? undefined : Number(option('ahead')),
    argv.includes('--in-create'),
  );
  if (argv.includes('--json')) for (const row of rows) console.log(JSON.stringify(row));
  else console.table(rows);
}
