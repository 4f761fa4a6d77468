#!/usr/bin/env node
// The fault soak (issue 13, point 5): N one-call subtasks through `army.map`
// against the fake API with faults on (5% 429, 2% 529, 1% 500, 1% dropped
// connections, 0.5% streams cut midway), then the same fan-out under a run
// budget set below its full cost, then the fan-out in a child process that
// is killed with SIGKILL three times and resumed from its journal three
// times (kill-resume.mjs). It checks that every subtask ends with a result
// or a reported failure, none is lost or run again after it succeeded, the
// ledger equals the fake's billing log request by request, the cap is never
// passed, and the killed run ends with every subtask done and no finished
// subtask billed twice. Prints one JSON summary; exits 1 on a violated check.
//
//   node test/soak/soak.mjs [--n 10000] [--c 64] [--seed 7] [--kills 3]
//
// Needs the built packages (`npx -y pnpm@10 build`).
import { parseArgs } from 'node:util';
import { Budget, createGateway } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { killResumePhase } from './kill-resume.mjs';
import { soakBrief } from './soak-items.mjs';

const USAGE = `Usage: node test/soak/soak.mjs [options]

  --n <count>     subtasks of every phase (default 10000)
  --c <count>     concurrency (default 64)
  --seed <int>    seed of the fake's faults (default 7)
  --kills <count> SIGKILLs of the last phase, each followed by a resume (default 3)
  --help          this text

Phases: faults (every subtask ends, ledger = billing log), budget (a cap below
the full cost is never passed), kill-resume (a journaled run in a child
process killed and resumed; every subtask done, none billed again after it
finished). Prints one JSON summary; exit code 1 when a check failed.`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      n: { type: 'string', default: '10000' },
      c: { type: 'string', default: '64' },
      seed: { type: 'string', default: '7' },
      kills: { type: 'string', default: '3' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`soak: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const n = Number(values.n);
const concurrency = Number(values.c);
const seed = Number(values.seed);
const kills = Number(values.kills);
for (const [name, value] of [
  ['--n', n],
  ['--c', concurrency],
  ['--seed', seed],
  ['--kills', kills],
]) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`soak: ${name} must be a positive integer, got ${value}`);
    process.exit(2);
  }
}

const FAULTS = {
  rateLimit: 0.05,
  overloaded: 0.02,
  serverError: 0.01,
  disconnect: 0.01,
  streamCut: 0.005,
  retryAfterMs: 20,
};
// max_tokens above the gateway's streaming threshold: every call streams,
// so the fake's cut streams apply to it.
const STREAMED_MAX_TOKENS = 24_000;

const violations = [];
function check(condition, message) {
  if (!condition) violations.push(message);
}

/** Every ledger entry is one billed response of the fake, with the same usage and cost. */
function reconcile(label, entries, billing) {
  const billed = new Map(billing.map((entry) => [entry.requestId, entry]));
  let matched = 0;
  for (const entry of entries) {
    const bill = entry.requestId === undefined ? undefined : billed.get(entry.requestId);
    if (!bill) {
      violations.push(
        `${label}: ledger entry ${entry.id} (${entry.taskId}) has no billed response`,
      );
      continue;
    }
    matched += 1;
    if (bill.cost.total !== entry.cost.total)
      violations.push(
        `${label}: ${entry.requestId} costs ${entry.cost.total} in the ledger, ${bill.cost.total} billed`,
      );
    if (bill.usage.output_tokens !== entry.usage.outputTokens)
      violations.push(`${label}: ${entry.requestId} output tokens differ`);
  }
  check(
    entries.length === billing.length,
    `${label}: ${entries.length} ledger entries for ${billing.length} billed responses`,
  );
  const ledgerTotal = entries.reduce((sum, entry) => sum + entry.cost.total, 0);
  const billedTotal = billing.reduce((sum, entry) => sum + entry.cost.total, 0);
  check(ledgerTotal === billedTotal, `${label}: ledger ${ledgerTotal} != billed ${billedTotal}`);
  return {
    entries: entries.length,
    matched,
    ledgerNanoUsd: ledgerTotal,
    billedNanoUsd: billedTotal,
  };
}

/** Each subtask has one result; a done one was accepted once and billed once per attempt. */
function checkSubtasks(label, result, ids, entries) {
  const seen = new Map(result.subtasks.map((subtask) => [subtask.id, subtask]));
  check(
    result.subtasks.length === ids.length,
    `${label}: ${result.subtasks.length} results for ${ids.length} subtasks`,
  );
  const lost = ids.filter((id) => !seen.has(id));
  check(lost.length === 0, `${label}: lost subtasks ${lost.slice(0, 5).join(', ')}`);
  const byTask = new Map();
  for (const entry of entries)
    byTask.set(entry.taskId, [...(byTask.get(entry.taskId) ?? []), entry]);
  const statuses = {};
  let runTwice = 0;
  for (const subtask of result.subtasks) {
    statuses[subtask.status] = (statuses[subtask.status] ?? 0) + 1;
    const billed = byTask.get(subtask.id) ?? [];
    check(
      billed.length === subtask.calls,
      `${label}: ${subtask.id} counts ${subtask.calls} calls, ledger ${billed.length}`,
    );
    if (subtask.status !== 'done' && subtask.status !== 'partial') {
      check(
        typeof subtask.code === 'string',
        `${label}: ${subtask.id} ended ${subtask.status} without a code`,
      );
      continue;
    }
    const accepted = subtask.attempts.filter((attempt) => attempt.accepted);
    // One-call subtasks: a second billed call of an attempt, or a call after
    // the accepted attempt, is work run again after it succeeded.
    const attempts = new Set(billed.map((entry) => entry.attempt));
    const last = accepted.at(-1)?.attempt ?? 0;
    if (
      accepted.length !== 1 ||
      attempts.size !== billed.length ||
      billed.some((entry) => entry.attempt > last)
    )
      runTwice += 1;
  }
  check(runTwice === 0, `${label}: ${runTwice} subtasks ran again after they succeeded`);
  return statuses;
}

async function fanOut({ label, items, budget, maxOutputTokens }) {
  const fake = await startFakeAnthropic({ latency: 0, faults: FAULTS, seed });
  try {
    const gateway = createGateway({
      baseURL: fake.url,
      apiKey: 'soak-key',
      retryBaseDelayMs: 20,
      ...(budget !== undefined ? { budget: new Budget({ limits: budget }) } : {}),
    });
    const army = createArmy({ gateway, concurrency, journal: false, limits: { maxOutputTokens } });
    const retries = { total: 0 };
    army.events.on('call:retry', () => {
      retries.total += 1;
    });
    const ids = items.map((_, index) => `item-${index + 1}`);
    const started = performance.now();
    const result = await army.map(items, soakBrief);
    const makespanMs = Math.round(performance.now() - started);
    await army.ledger.flush();
    const entries = army.ledger.entries({ runId: result.runId });
    const statuses = checkSubtasks(label, result, ids, entries);
    const reconciliation = reconcile(label, entries, fake.billing.entries);
    return { result, makespanMs, statuses, retries: retries.total, reconciliation, fake };
  } finally {
    await fake.close();
  }
}

const items = Array.from({ length: n }, (_, index) => `T-${index + 1}`);
const faulted = await fanOut({ label: 'faults', items, maxOutputTokens: STREAMED_MAX_TOKENS });
check(
  faulted.result.status === 'done' || faulted.result.status === 'partial',
  `faults: the run ended ${faulted.result.status}`,
);

// Below the full cost: half of what the faulted run spent, on half as many
// non-streamed calls (smaller reservations, so the cap is spent close to it).
const capItems = items.slice(0, Math.max(2, Math.floor(n / 2)));
const fullCost = faulted.reconciliation.ledgerNanoUsd;
const cap = Math.max(1, Math.floor(fullCost / 4));
const capped = await fanOut({
  label: 'budget',
  items: capItems,
  budget: { run: cap },
  maxOutputTokens: 1024,
});
const spent = capped.reconciliation.billedNanoUsd;
check(spent <= cap, `budget: billed ${spent} nano-USD over a cap of ${cap}`);
check(capped.reconciliation.ledgerNanoUsd <= cap, 'budget: the ledger passed the cap');
check(capped.result.status === 'budget_exceeded', `budget: the run ended ${capped.result.status}`);

const killed = await killResumePhase({
  n,
  concurrency,
  seed,
  faults: FAULTS,
  maxOutputTokens: STREAMED_MAX_TOKENS,
  kills,
  violations,
});

const summary = {
  soak: 'faults+budget+kill-resume',
  n,
  concurrency,
  seed,
  faults: FAULTS,
  faulted: {
    status: faulted.result.status,
    makespanMs: faulted.makespanMs,
    subtasks: faulted.statuses,
    retries: faulted.retries,
    ...faulted.reconciliation,
    usd: faulted.reconciliation.ledgerNanoUsd / 1e9,
  },
  budget: {
    status: capped.result.status,
    subtasks: capped.statuses,
    capNanoUsd: cap,
    spentNanoUsd: spent,
    spentOfCap: Number((spent / cap).toFixed(4)),
    ...capped.reconciliation,
  },
  killResume: killed,
  violations,
  ok: violations.length === 0,
};
console.log(JSON.stringify(summary));
process.exit(violations.length === 0 ? 0 : 1);
