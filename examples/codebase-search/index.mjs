// Fans a codebase search out over a pool of worker agents: one shard per
// source folder, each worker greps and reads only inside the sandboxed root,
// and only its short summary comes back. Runs offline against the fake
// Anthropic API (simulated models) through the real SDK, or against the real
// API when ANTHROPIC_API_KEY is set. Then reconciles the ledger with the bill.
//
//   node index.mjs [--root DIR] [--terms "a, b"] [--concurrency N] [--json]
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { Budget, CostLedger, createGateway, formatUsd, RateLimiter, usd } from '@haiku-army/core';
import { createDemoResponders, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools, WorkerPool } from '@haiku-army/worker';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: fileURLToPath(new URL('../../packages', import.meta.url)) },
    terms: { type: 'string', default: 'retry-after, cache_control' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});

const root = resolve(values.root);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`Expected --concurrency to be an integer >= 1, got ${values.concurrency}`);
  process.exit(2);
}

// One shard per folder that holds sources: `<package>/src` and `<package>/test`.
const shards = [];
for (const name of readdirSync(root).sort()) {
  for (const part of ['src', 'test']) {
    const dir = join(root, name, part);
    try {
      if (statSync(dir).isDirectory()) shards.push(relative(root, dir));
    } catch {}
  }
}
if (shards.length === 0) {
  console.error(`No <package>/src or <package>/test folders under ${root}; pass --root.`);
  process.exit(2);
}

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live ? undefined : await startFakeAnthropic({ ...createDemoResponders(), seed: 1 });
const client = new Anthropic(live ? {} : { apiKey: 'offline-demo', baseURL: fake.url });
const ledger = new CostLedger();
const gateway = createGateway({
  client,
  ledger,
  budget: new Budget({ limits: { run: usd(1), task: usd(0.05) } }),
  rateLimiter: new RateLimiter(),
});

const repoMap = `Repository map (folders the search is sharded over):\n${shards.map((shard) => `- ${shard}`).join('\n')}\n`;
const pool = new WorkerPool({
  gateway,
  runId: 'codebase-search',
  concurrency,
  tools: codebaseTools({ root }),
  // Long enough to be cached on Haiku 5.5, shared byte for byte by every worker.
  sharedPrefix: repoMap.repeat(Math.max(1, Math.ceil(2_400 / repoMap.length))),
});

const results = await pool.submitAll(
  shards.map((shard) => ({
    id: shard,
    parentTaskId: 'search',
    brief: {
      objective: `role: worker\njob: Find where ${values.terms} are used\nroot: ${shard}\nterms: ${values.terms}`,
      outputFormat: 'One paragraph: the files that match and how many lines each.',
      guidance: `Search only under ${shard} with grep, then read the best matches with read_file.`,
      boundaries: 'Do not search other folders; do not edit anything.',
    },
  })),
);

const billed = fake ? fake.billing.total() : undefined;
// Offline, the fake's bill says which cached tokens were the shared prefix
// (system breakpoint) and which a worker's own cached history (messages).
const billByRequest = new Map(
  (fake?.billing.entries ?? []).map((entry) => [entry.requestId, entry]),
);
function sharedPrefixReads(taskId) {
  if (!fake) return undefined;
  let read = 0;
  for (const entry of ledger.entries({ runId: 'codebase-search', taskId })) {
    for (const item of billByRequest.get(entry.requestId)?.cacheBreakdown ?? [])
      if (item.breakpoint !== 'messages') read += item.read;
  }
  return read;
}
const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated models)',
  shards: results.map((result) => ({
    shard: result.taskId,
    status: result.status,
    calls: result.calls,
    costNanoUsd: result.cost.total,
    cacheReadTokens: result.usage.cacheReadTokens,
    sharedPrefixReadTokens: sharedPrefixReads(result.taskId),
    summary: result.summary,
  })),
  totalNanoUsd: ledger.spent({ runId: 'codebase-search' }),
  billedNanoUsd: billed,
  baseline: ledger.baseline({ runId: 'codebase-search' }),
};
await fake?.close();

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(
    `haiku-army codebase search: ${shards.length} shards, ${concurrency} workers, ${report.mode}\n`,
  );
  for (const shard of report.shards) {
    console.log(
      `${shard.status.padEnd(8)}${shard.shard.padEnd(24)}${String(shard.calls).padStart(3)} calls ${formatUsd(shard.costNanoUsd, { digits: 6 }).padStart(10)}`,
    );
    console.log(`        ${shard.summary}\n`);
  }
  console.log(
    `Ledger total ${formatUsd(report.totalNanoUsd, { digits: 6 })}${billed === undefined ? '' : `, server billed ${formatUsd(billed, { digits: 6 })} (${billed === report.totalNanoUsd ? 'reconciled exactly' : 'MISMATCH'})`}`,
  );
  console.log(
    `Same tokens on ${report.baseline.model} without caching: ${formatUsd(report.baseline.baseline, { digits: 6 })} (saved ${(report.baseline.savingsRatio * 100).toFixed(1)}%)`,
  );
}
