// Classifies 1,000 support tickets with army.map in batch mode: every
// worker's call goes into one Message Batch, billed at half the standard
// price, and the run reports what that saved (RunResult.cost.batchSaving).
// Each worker submits `{ label }`, checked against a zod schema; a reduce
// step counts the labels. Offline (no ANTHROPIC_API_KEY) the fake Anthropic
// API of @haiku-army/testing runs the batch, with a SIMULATED keyword
// classifier as the model (simulated-classifier.mjs); with a key, the same
// code sends a real batch (which the API may take minutes to finish).
//
//   node index.mjs [--count N] [--mode batch|interactive] [--latency MS] [--json]
import { parseArgs } from 'node:util';
import { formatUsd, usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import * as z from 'zod';
import { simulatedClassifier } from './simulated-classifier.mjs';
import { LABELS, makeTickets } from './tickets.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'batch' },
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
const count = integer('count', values.count, 1);
if (values.mode !== 'batch' && values.mode !== 'interactive') {
  console.error(`Expected --mode to be "batch" or "interactive", got ${values.mode}`);
  process.exit(2);
}
const tickets = makeTickets(count);

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live
  ? undefined
  : await startFakeAnthropic({
      defaultResponder: simulatedClassifier,
      ...(values.latency === undefined ? {} : { latency: integer('latency', values.latency, 0) }),
      // An interactive comparison run may have every ticket in flight at once.
      defaultLimits: { rpm: 100_000, otpm: 100_000_000 },
    });
const army = createArmy({
  ...(fake ? { baseURL: fake.url, apiKey: 'offline-demo' } : {}),
  workers: 'claude-haiku-5-5',
  mode: values.mode,
  // The fake finishes a batch in 50 ms; the API takes minutes, so poll it slower.
  batchPollIntervalMs: fake ? 50 : 30_000,
  ...(values.mode === 'interactive' ? { concurrency: 64 } : {}),
  // A label needs few tokens: a small max_tokens keeps every reservation small.
  limits: { maxOutputTokens: 256 },
  budget: { run: usd(5) },
});

const label = z.object({ label: z.enum(LABELS) });
const started = Date.now();
const result = await army.map(
  tickets,
  (ticket) => ({
    // The `ticket:` line is the brief's fact (and what the simulated classifier reads).
    objective: `Classify this support ticket into one label.\nticket: ${ticket.text}`,
    outputFormat: `data: { label } with label one of ${LABELS.join(', ')}. Summary: the label.`,
    boundaries: 'Answer from the ticket text alone.',
  }),
  {
    id: (ticket) => ticket.id,
    output: label,
    reduce: (results) => {
      const counts = Object.fromEntries(LABELS.map((name) => [name, 0]));
      for (const item of results) if (item.data) counts[item.data.label] += 1;
      return counts;
    },
    job: `Classify ${tickets.length} support tickets`,
  },
);
const seconds = (Date.now() - started) / 1000;
const billed = fake?.billing.total();
const batches = fake?.transcript.entries.filter(
  (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
).length;
await fake?.close();

const expected = new Map(tickets.map((ticket) => [ticket.id, ticket.expected]));
const agreeing = result.subtasks.filter(
  (subtask) => subtask.data?.label === expected.get(subtask.id),
).length;
const entries = army.ledger.entries({ runId: result.runId });
const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated classifier)',
  runMode: values.mode,
  tickets: tickets.length,
  status: result.status,
  labels: result.answer,
  done: result.subtasks.filter((subtask) => subtask.status === 'done').length,
  agreeingWithDataset: agreeing,
  calls: result.cost.calls,
  batchedCalls: entries.filter((entry) => entry.batchId !== undefined).length,
  batchesCreated: batches,
  totalNanoUsd: result.cost.total,
  batchSavingNanoUsd: result.cost.batchSaving,
  standardPriceNanoUsd: result.cost.total + result.cost.batchSaving,
  billedNanoUsd: billed,
  seconds,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const money = (nano) => formatUsd(nano, { digits: 6 });
  console.log(
    `haiku-army: ${report.tickets} support tickets classified in ${values.mode} mode, ${report.mode}\n`,
  );
  for (const [name, n] of Object.entries(report.labels ?? {}))
    console.log(`  ${name.padEnd(16)}${String(n).padStart(5)}`);
  console.log(
    `\n${report.status}: ${report.done} of ${report.tickets} labelled (${report.agreeingWithDataset} agree with the dataset's labels), ${report.calls} calls, ${report.batchedCalls} of them in ${report.batchesCreated ?? 'some'} Message Batch${report.batchesCreated === 1 ? '' : 'es'}, ${seconds.toFixed(1)} s`,
  );
  console.log(`At the standard price:  ${money(report.standardPriceNanoUsd)}`);
  console.log(`Batch saving:          -${money(report.batchSavingNanoUsd)}`);
  console.log(
    `Paid:                   ${money(report.totalNanoUsd)}${billed === undefined ? '' : ` (the fake billed ${money(billed)})`}`,
  );
}
