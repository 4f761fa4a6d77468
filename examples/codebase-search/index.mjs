// Fans a codebase search out with createArmy: the planner splits the files
// under --root into shards, one Haiku worker per shard greps and reads only
// inside the sandboxed root, only their short summaries come back, and the
// synthesizer merges them into the answer. Prints every subtask's cost and
// the run's bill. Offline (no ANTHROPIC_API_KEY) it starts the fake Anthropic
// API of @haiku-army/testing, whose SIMULATED planner, workers and
// synthesizer answer through the real SDK, and reconciles the ledger with
// what the fake billed; with a key, the same code calls the real API.
//
//   node index.mjs [--root DIR] [--job "..."] [--concurrency N] [--latency MS] [--json]
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatUsd, usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: fileURLToPath(new URL('../../packages', import.meta.url)) },
    job: {
      type: 'string',
      default: 'Find every place that handles "retry-after" or sets "cache_control".',
    },
    concurrency: { type: 'string', default: '8' },
    latency: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function integer(name, text, min) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`Expected --${name} to be an integer >= ${min}, got ${text}`);
    process.exit(2);
  }
  return value;
}
const concurrency = integer('concurrency', values.concurrency, 1);
const root = resolve(values.root);
if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`--root ${values.root} is not a directory; pass the folder to search.`);
  process.exit(2);
}

// The folders under root, as a map every worker shares (cached once, read by the rest).
const folders = [];
for (const name of readdirSync(root).sort())
  for (const part of ['src', 'test'])
    if (statSync(join(root, name, part), { throwIfNoEntry: false })?.isDirectory())
      folders.push(relative(root, join(root, name, part)));
const repoMap = `Repository map (folders under the search root):\n${folders.map((folder) => `- ${folder}`).join('\n')}\n`;

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live
  ? undefined
  : await startFakeAnthropic(
      values.latency === undefined ? {} : { latency: integer('latency', values.latency, 0) },
    );
const army = createArmy({
  ...(fake ? { baseURL: fake.url, apiKey: 'offline-demo' } : {}),
  tools: codebaseTools({ root }),
  // Tells the planner (the simulated one reads this line) what to shard.
  context: `root: ${root}`,
  sharedPrefix: repoMap.repeat(Math.max(1, Math.ceil(2_400 / repoMap.length))),
  concurrency,
  // Room for a plan that names every file of each shard (~1,500 files); with less, the
  // simulated planner names folders, and the shards grow coarser.
  plannerMaxTokens: 32_000,
  budget: { run: usd(2) },
});

const result = await army.run(values.job);
const billed = fake?.billing.total();
await fake?.close();

const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated planner, workers and synthesizer)',
  runId: result.runId,
  status: result.status,
  answer: result.answer,
  subtasks: result.subtasks.map((subtask) => ({
    id: subtask.id,
    title: subtask.title,
    status: subtask.status,
    model: subtask.model,
    calls: subtask.calls,
    costNanoUsd: subtask.cost.total,
    summary: subtask.summary,
  })),
  plannerNanoUsd: result.cost.tree.planner.cost.total,
  synthesisNanoUsd: result.cost.tree.synthesis.cost.total,
  totalNanoUsd: result.cost.total,
  billedNanoUsd: billed,
  calls: result.cost.calls,
  cacheHitRate: result.cacheHitRate,
  baseline: result.baseline,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const money = (nano) => formatUsd(nano, { digits: 6 }).padStart(10);
  console.log(`haiku-army codebase search over ${root}, ${report.mode}`);
  console.log(`Job: ${values.job}\n`);
  console.log(`Planner  ${money(report.plannerNanoUsd)}  ${result.plan.subtasks.length} subtasks`);
  for (const subtask of report.subtasks) {
    console.log(
      `${subtask.status.padEnd(8)} ${money(subtask.costNanoUsd)}  ${subtask.calls} calls  ${subtask.model}  ${subtask.title}`,
    );
    console.log(`         ${subtask.summary}`);
  }
  console.log(`Synthesis ${money(report.synthesisNanoUsd)}\n`);
  console.log(`Answer (${report.status}):\n${report.answer ?? '(none)'}\n`);
  console.log(
    `Total ${money(report.totalNanoUsd).trim()} over ${report.calls} calls${billed === undefined ? '' : `; the fake billed ${formatUsd(billed, { digits: 6 })} (${billed === report.totalNanoUsd ? 'reconciled exactly' : 'MISMATCH'})`}`,
  );
  console.log(
    `Cache hit rate ${(report.cacheHitRate * 100).toFixed(1)}%; the same tokens on ${report.baseline.model} alone, uncached: ${formatUsd(report.baseline.baseline, { digits: 6 })} (saved ${(report.baseline.savingsRatio * 100).toFixed(1)}%)`,
  );
}
