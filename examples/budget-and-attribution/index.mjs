// A run whose budget runs out midway, and where its money went by tag.
// A hand-written plan (army.runPlan) audits every source and test folder of
// --root, one subtask per folder, each tagged with its package and its kind
// (`package:core`, `kind:test`). The run budget covers about half of them:
// the gateway reserves each call's worst case before sending it, so the cap
// holds exactly; when a reservation no longer fits, no further subtask
// starts, the run ends `budget_exceeded`, and everything that finished is
// kept with its cost. The ledger then rolls the spend up by tag, and the
// run's cost tree shows it per subtask. Offline (no ANTHROPIC_API_KEY) the
// fake Anthropic API of @haiku-army/testing answers with its SIMULATED
// workers; with a key, the same code calls the real API.
//
//   node index.mjs [--root DIR] [--budget USD] [--concurrency N] [--latency MS] [--json]
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatUsd, usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: fileURLToPath(new URL('../../packages', import.meta.url)) },
    budget: { type: 'string', default: '0.01' },
    concurrency: { type: 'string', default: '2' },
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
const budgetUsd = Number(values.budget);
if (!Number.isFinite(budgetUsd) || budgetUsd <= 0) {
  console.error(`Expected --budget to be a positive number of US dollars, got ${values.budget}`);
  process.exit(2);
}
const root = resolve(values.root);

// One subtask per <package>/src and <package>/test folder, tagged for the roll-up.
const subtasks = [];
for (const name of readdirSync(root).sort())
  for (const kind of ['src', 'test'])
    if (statSync(join(root, name, kind), { throwIfNoEntry: false })?.isDirectory())
      subtasks.push({
        id: `${name}-${kind}`,
        title: `Audit error handling in ${name}/${kind}`,
        // The key: value lines are the brief's facts (and what the simulated worker reads).
        brief: {
          objective: `List where ${name}/${kind} throws, catches or retries.\nroot: ${name}/${kind}\nterms: throw, catch, retry`,
          outputFormat: 'One paragraph: the files and how many matching lines each.',
          guidance: `grep under ${name}/${kind} for each term, then read the best matches with read_file.`,
          boundaries: 'Only that folder; change nothing.',
        },
        complexity: 'simple',
        tags: [`package:${name}`, `kind:${kind}`],
      });
if (subtasks.length === 0) {
  console.error(`No <package>/src or <package>/test folders under ${root}; pass --root.`);
  process.exit(2);
}

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live
  ? undefined
  : await startFakeAnthropic(
      values.latency === undefined ? {} : { latency: integer('latency', values.latency, 0) },
    );
const army = createArmy({
  ...(fake ? { baseURL: fake.url, apiKey: 'offline-demo' } : {}),
  tools: codebaseTools({ root }),
  concurrency,
  budget: { run: usd(budgetUsd) },
});
const exceeded = [];
army.events.on('budget:exceeded', (event) => exceeded.push(event));

const result = await army.runPlan(
  { reasoning: 'One audit per folder.', subtasks },
  { job: `Audit error handling in ${root}` },
);
const billed = fake?.billing.total();
await fake?.close();

// The cost tree by tag: each package's spend (ledger.byTag), split by kind
// (byTag again, over the entries carrying that package's tag).
const byTag = army.ledger.byTag({ runId: result.runId });
const tagTree = Object.entries(byTag)
  .filter(([tag]) => tag.startsWith('package:'))
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([tag, totals]) => ({
    tag,
    calls: totals.calls,
    total: totals.cost.total,
    children: Object.entries(army.ledger.byTag({ runId: result.runId, tag }))
      .filter(([child]) => child.startsWith('kind:'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([child, inner]) => ({ tag: child, calls: inner.calls, total: inner.cost.total })),
  }));
const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated workers)',
  runId: result.runId,
  status: result.status,
  budgetNanoUsd: usd(budgetUsd),
  error: result.error ? { name: result.error.name, message: result.error.message } : undefined,
  budgetExceededEvents: exceeded.length,
  subtasks: result.subtasks.map((subtask) => ({
    id: subtask.id,
    status: subtask.status,
    code: subtask.code,
    tags: subtasks.find((planned) => planned.id === subtask.id)?.tags,
    calls: subtask.calls,
    costNanoUsd: subtask.cost.total,
    summary: subtask.summary,
  })),
  tagTree,
  costByTagNanoUsd: Object.fromEntries(
    Object.entries(byTag)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tag, totals]) => [tag, totals.cost.total]),
  ),
  tree: {
    planner: result.cost.tree.planner.cost.total,
    subtasks: result.cost.tree.subtasks.map((node) => ({
      id: node.id,
      total: node.totals.cost.total,
      attempts: node.attempts.map((attempt) => ({
        attempt: attempt.attempt,
        model: attempt.model,
        calls: attempt.totals.calls,
        total: attempt.totals.cost.total,
      })),
    })),
    synthesis: result.cost.tree.synthesis.cost.total,
  },
  totalNanoUsd: result.cost.total,
  billedNanoUsd: billed,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const money = (nano) => formatUsd(nano, { digits: 6 });
  console.log(
    `haiku-army audit of ${subtasks.length} folders under ${root} with a ${money(report.budgetNanoUsd)} budget, ${report.mode}\n`,
  );
  const outcome = (subtask) =>
    subtask.status === 'done'
      ? subtask.summary
      : subtask.calls > 0
        ? `${subtask.code}: stopped after ${subtask.calls} calls; what they cost is kept`
        : `${subtask.code}: never started`;
  for (const subtask of report.subtasks) {
    const line = `${subtask.status.padEnd(8)}${subtask.id.padEnd(20)}${money(subtask.costNanoUsd).padStart(10)}  ${outcome(subtask)}`;
    console.log(line.length > 160 ? `${line.slice(0, 159)}…` : line);
  }
  const done = report.subtasks.filter((subtask) => subtask.status === 'done').length;
  console.log(
    `\nRun ${report.status}: ${done} of ${subtasks.length} folders audited and kept; spent ${money(report.totalNanoUsd)} of ${money(report.budgetNanoUsd)}${billed === undefined ? '' : ` (the fake billed ${money(billed)})`}.`,
  );
  if (report.error) console.log(`Why: ${report.error.message}`);
  console.log('\nCost tree by tag (ledger.byTag, then byTag within each package tag):');
  for (const node of report.tagTree) {
    console.log(`  ${node.tag.padEnd(24)}${money(node.total).padStart(10)}  ${node.calls} calls`);
    for (const child of node.children)
      console.log(
        `    ${child.tag.padEnd(22)}${money(child.total).padStart(10)}  ${child.calls} calls`,
      );
  }
  for (const tag of ['kind:src', 'kind:test'])
    if (report.costByTagNanoUsd[tag] !== undefined)
      console.log(`  all ${tag.padEnd(20)}${money(report.costByTagNanoUsd[tag]).padStart(10)}`);
  console.log('\nCost tree (result.cost.tree):');
  console.log(`  planner ${money(report.tree.planner)} (a hand-written plan: no planner call)`);
  for (const node of report.tree.subtasks)
    console.log(
      `  ${node.id.padEnd(20)}${money(node.total).padStart(10)}  ${node.attempts.map((attempt) => `attempt ${attempt.attempt} on ${attempt.model}: ${attempt.calls} calls`).join('; ') || 'no calls'}`,
    );
  console.log(`  synthesis ${money(report.tree.synthesis)} (none: the budget ran out)`);
}
