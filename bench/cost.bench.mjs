// The seed research's three cost case studies (issue 13, point 4) run for
// real as army jobs (`army.map`) through the real SDK against the fake API
// over HTTP: naive (one big model, no cache, no batch) against optimised
// (routed by the label the workload carries, the shared instructions
// cached, batched where the workload allows, repeats answered once). For
// each run: the cost from the army's ledger and from the fake's billing log
// side by side, the calls per model, cache and batch figures; per case the
// saving. Item counts are a sample of the research's monthly volume
// (`--scale` multiplies them); `monthlyUsd` extrapolates to that volume.
//
//   pnpm bench:cost -- [--case code-review] [--scale 1] [--json]
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createArmy } from '@haiku-army/orchestrator';
import { lastUserText, reply, startFakeAnthropic } from '@haiku-army/testing';
import { CASES, filler, wantedOutputTokens } from './lib/cost-cases.mjs';
import { cliArgs, machineLoad, round } from './lib/stats.mjs';

/** Every worker call: submit_result with `data.text` as long as the brief asks. */
function respond(request) {
  const text = lastUserText(request);
  const id = /(pr|conversation|document)-\d+/.exec(text)?.[0] ?? 'item';
  return reply.toolUse('submit_result', {
    status: 'done',
    summary: `Handled ${id}.`,
    data: { text: filler(wantedOutputTokens(text), id.length) },
  });
}

const MODELS = ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5'];

/** Runs one set-up of a case against a fresh fake and returns its figures. */
async function runSetup(caseStudy, variant, concurrency) {
  const setup = caseStudy[variant];
  const fake = await startFakeAnthropic({
    latency: { firstByte: 5 },
    models: Object.fromEntries(MODELS.map((model) => [model, respond])),
    batchProcessingMs: 50,
    // This bench measures cost, not rate limits: limits no fan-out here reaches.
    defaultLimits: { rpm: 1e9, itpm: 1e12, otpm: 1e12 },
  });
  try {
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'bench',
      workers: setup.workers,
      concurrency,
      journal: false,
      limits: { maxOutputTokens: 4_096 },
      ...(setup.sharedPrefix ? { sharedPrefix: setup.sharedPrefix } : {}),
      ...(setup.mode === 'batch'
        ? { mode: 'batch', batchPollIntervalMs: 25, batchWindowMs: 50 }
        : {}),
    });
    const started = performance.now();
    const result = await army.map(setup.items, (item) => item.brief, { id: (item) => item.id });
    const makespanMs = Math.round(performance.now() - started);
    await army.ledger.flush?.();
    const entries = army.ledger.entries({ runId: result.runId });
    const ledgerNanoUsd = entries.reduce((sum, entry) => sum + entry.cost.total, 0);
    const billedNanoUsd = fake.billing.total();
    const callsByModel = {};
    for (const entry of entries) callsByModel[entry.model] = (callsByModel[entry.model] ?? 0) + 1;
    const usage = result.cost.usage;
    const served = setup.served ?? setup.items.length;
    return {
      status: result.status,
      done: result.subtasks.filter((subtask) => subtask.status === 'done').length,
      subtasks: setup.items.length,
      served,
      calls: entries.length,
      billedCalls: fake.billing.entries.length,
      callsByModel,
      batchCalls: entries.filter((entry) => entry.batchId !== undefined).length,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheWriteTokens: usage.cacheWrite5mTokens + usage.cacheWrite1hTokens,
      cacheReadTokens: usage.cacheReadTokens,
      ledgerNanoUsd,
      billedNanoUsd,
      reconciled: ledgerNanoUsd === billedNanoUsd && entries.length === fake.billing.entries.length,
      batchSavingNanoUsd: result.cost.batchSaving,
      makespanMs,
    };
  } finally {
    await fake.close();
  }
}

/** Both set-ups of one case, then the saving; one JSON-ready object each. */
export async function costCase(name, { scale = 1, concurrency = 16 } = {}) {
  const definition = CASES[name];
  if (!definition)
    throw new Error(`Unknown case "${name}"; known: ${Object.keys(CASES).join(', ')}.`);
  const count = Math.max(1, Math.round(definition.count * scale));
  const caseStudy = definition.build(count);
  const machine = await machineLoad();
  const naive = await runSetup(caseStudy, 'naive', concurrency);
  const optimised = await runSetup(caseStudy, 'optimised', concurrency);
  const monthly = (nanoUsd) => round((nanoUsd / 1e9) * (caseStudy.perMonth / count), 2);
  const row = (variant, figures) => ({
    bench: 'cost',
    case: name,
    variant,
    items: count,
    unit: caseStudy.unit,
    ratios: {
      costToNaive: round(figures.ledgerNanoUsd / naive.ledgerNanoUsd, 4),
      billedToNaive: round(figures.billedNanoUsd / naive.billedNanoUsd, 4),
    },
    ...figures,
    usd: round(figures.ledgerNanoUsd / 1e9, 4),
    usdPerItem: round(figures.ledgerNanoUsd / 1e9 / count, 6),
    monthlyUsd: monthly(figures.ledgerNanoUsd),
    perMonth: caseStudy.perMonth,
    machine,
  });
  const saving = naive.ledgerNanoUsd - optimised.ledgerNanoUsd;
  return [
    row('naive', naive),
    row('optimised', optimised),
    {
      bench: 'cost',
      case: name,
      variant: 'saving',
      items: count,
      ratios: {
        savingFraction: round(saving / naive.ledgerNanoUsd, 4),
        billedSavingFraction: round(
          (naive.billedNanoUsd - optimised.billedNanoUsd) / naive.billedNanoUsd,
          4,
        ),
      },
      savingNanoUsd: saving,
      billedSavingNanoUsd: naive.billedNanoUsd - optimised.billedNanoUsd,
      naiveMonthlyUsd: monthly(naive.ledgerNanoUsd),
      optimisedMonthlyUsd: monthly(optimised.ledgerNanoUsd),
      monthlySavingUsd: monthly(saving),
      reconciled: naive.reconciled && optimised.reconciled,
    },
  ];
}

/** For `node bench/run.mjs`: every case at a tenth of its sample. */
export default async function costBench() {
  const results = [];
  for (const name of Object.keys(CASES)) results.push(...(await costCase(name, { scale: 0.1 })));
  return results;
}

function table(rows) {
  console.table(
    rows.map((row) => ({
      case: row.case,
      variant: row.variant,
      'cost/naive': row.ratios.costToNaive ?? '',
      saving: row.ratios.savingFraction ?? '',
      items: row.items,
      calls: row.calls ?? '',
      ledgerUsd: row.ledgerNanoUsd !== undefined ? row.ledgerNanoUsd / 1e9 : '',
      billedUsd: row.billedNanoUsd !== undefined ? row.billedNanoUsd / 1e9 : '',
      reconciled: row.reconciled,
      monthlyUsd: row.monthlyUsd ?? `${row.naiveMonthlyUsd} -> ${row.optimisedMonthlyUsd}`,
    })),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = await cliArgs(process.argv.slice(2), {
    case: { type: 'string', multiple: true },
    scale: { type: 'string' },
    c: { type: 'string' },
    json: { type: 'boolean' },
  });
  const scale = Number(args.scale ?? 1);
  const concurrency = Number(args.c ?? 16);
  if (!(scale > 0) || !Number.isInteger(concurrency) || concurrency < 1) {
    console.error('cost bench: --scale must be a positive number and --c a positive integer');
    process.exit(2);
  }
  let failed = false;
  for (const name of args.case ?? Object.keys(CASES)) {
    const rows = await costCase(name, { scale, concurrency });
    failed ||= rows.some((row) => row.reconciled === false || row.done < row.subtasks);
    if (args.json) for (const row of rows) console.log(JSON.stringify(row));
    else table(rows);
  }
  // Figures are printed either way; a ledger that disagrees with the bill is a failure.
  if (failed) process.exitCode = 1;
}
