// Generates a test file per source file with createArmy: army.map runs one
// worker per file, each reads its file and writes `test/<name>.test.ts` with
// the `write_file` tool of writeFiles({ outDir }) (it can write nowhere
// else). A cascade router checks every attempt: the worker must report done
// and the file it wrote must parse as TypeScript; a file that does not parse
// sends the subtask to the next model (Haiku, then Sonnet), whose worker
// rewrites it. Offline (no ANTHROPIC_API_KEY) the fake Anthropic API of
// @haiku-army/testing answers with its SIMULATED workers; with a key, the
// same code calls the real API.
//
//   node index.mjs [--root DIR] [--out DIR] [--concurrency N] [--latency MS] [--json]
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatUsd, usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { cascade, predicateValidator, statusValidator } from '@haiku-army/router';
import { startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools, writeFiles } from '@haiku-army/worker';
import ts from 'typescript';
import * as z from 'zod';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: fileURLToPath(new URL('./sample', import.meta.url)) },
    out: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
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
const sourceDir = join(root, 'src');
if (!statSync(sourceDir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(
    `${sourceDir} is not a directory; pass --root a project folder with a src/ folder.`,
  );
  process.exit(2);
}
const files = readdirSync(sourceDir, { recursive: true })
  .map((name) => `src/${String(name).split('\\').join('/')}`)
  .filter((path) => /\.ts$/.test(path) && !/\.(test|spec|d)\.ts$/.test(path))
  .sort();
if (files.length === 0) {
  console.error(`No .ts files under ${sourceDir}.`);
  process.exit(2);
}

// Tests are written only under outDir, laid out like the project (test/x.test.ts
// imports ../src/x.js), so the folder can be copied over the project root.
const outDir = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), 'haiku-army-tests-'));
const writer = writeFiles({ outDir });

/**
 * The check that escalates: the file the subtask wrote must parse. TypeScript's
 * own `transpileModule` with `reportDiagnostics` reports the syntax errors of
 * one file (type errors need the whole program, which a generated test in a
 * sandbox does not have), in process and in milliseconds: the parser that will
 * later compile the file, not a heuristic of ours.
 */
const parses = predicateValidator(({ subtask }) => {
  const written = writer.artifacts().find((artifact) => artifact.taskId === subtask.id);
  if (!written) return 'no test file was written with write_file';
  const text = readFileSync(join(writer.outDir, written.path), 'utf8');
  const { diagnostics = [] } = ts.transpileModule(text, {
    fileName: written.path,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  if (diagnostics.length === 0) return true;
  const [first] = diagnostics;
  const line = first.file ? first.file.getLineAndCharacterOfPosition(first.start ?? 0).line + 1 : 0;
  return `${written.path} does not parse: line ${line}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`;
});

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live
  ? undefined
  : await startFakeAnthropic(
      values.latency === undefined ? {} : { latency: integer('latency', values.latency, 0) },
    );
const army = createArmy({
  ...(fake ? { baseURL: fake.url, apiKey: 'offline-demo' } : {}),
  workers: cascade(['claude-haiku-5-5', 'claude-sonnet-5-5'], {
    validate: [statusValidator(), parses],
  }),
  tools: [...codebaseTools({ root }), ...writer.tools],
  artifacts: writer,
  concurrency,
  budget: { run: usd(1), task: usd(0.1) },
});

const testPath = (file) => `test/${basename(file, '.ts')}.test.ts`;
const result = await army.map(
  files,
  (file) => ({
    // The key: value lines are the brief's facts (and what the simulated worker reads).
    objective: `Write node:test unit tests for ${file}.\nfiles:\n- ${file}\nwrite: ${testPath(file)}\nimport: ../${file.replace(/\.ts$/, '.js')}`,
    outputFormat:
      'One sentence: the file written and the exports it tests. data: { path, exports, tests }.',
    guidance: `Read ${file} with read_file, then write the whole test file once with write_file at ${testPath(file)}: one test per exported value, using node:test and node:assert/strict, importing from the import path above. Assert what the doc comments' @example lines state.`,
    boundaries: 'Write only that one file. Do not change the sources.',
  }),
  {
    id: (file) => file.replace(/[^A-Za-z0-9_.:-]/g, '-'),
    output: z.object({ path: z.string(), exports: z.array(z.string()), tests: z.number() }),
    reduce: (results) =>
      `${results.filter((item) => item.status === 'done').length} of ${results.length} test files written and parsing.`,
    job: `Write unit tests for the ${files.length} modules of ${root}`,
  },
);
const billed = fake?.billing.total();
await fake?.close();

const byModel = {};
for (const subtask of result.cost.tree.subtasks)
  for (const attempt of subtask.attempts)
    byModel[attempt.model] = (byModel[attempt.model] ?? 0) + attempt.totals.cost.total;
const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated workers)',
  status: result.status,
  answer: result.answer,
  outDir: writer.outDir,
  subtasks: result.subtasks.map((subtask) => ({
    id: subtask.id,
    status: subtask.status,
    models: subtask.attempts.map((attempt) => attempt.model),
    rejected: subtask.attempts
      .filter((attempt) => !attempt.accepted)
      .map((attempt) => attempt.rejectedBecause),
    costNanoUsd: subtask.cost.total,
    data: subtask.data,
    summary: subtask.summary,
  })),
  artifacts: [...result.artifacts].sort((a, b) => a.path.localeCompare(b.path)),
  costByModelNanoUsd: byModel,
  totalNanoUsd: result.cost.total,
  billedNanoUsd: billed,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const money = (nano) => formatUsd(nano, { digits: 6 });
  console.log(`haiku-army test generation for ${files.length} files of ${root}, ${report.mode}`);
  console.log(`Writing under ${report.outDir}\n`);
  for (const subtask of report.subtasks) {
    console.log(
      `${subtask.status.padEnd(8)}${subtask.id.padEnd(20)}${money(subtask.costNanoUsd).padStart(10)}  ${subtask.models.join(' -> ')}`,
    );
    for (const why of subtask.rejected) console.log(`        rejected: ${why}`);
    console.log(`        ${subtask.summary}`);
  }
  console.log(`\n${report.answer}`);
  for (const artifact of report.artifacts)
    console.log(`  ${artifact.path} (${artifact.bytes} bytes, by ${artifact.taskId})`);
  console.log(
    `\nCost by model: ${Object.entries(byModel)
      .map(([model, nano]) => `${model} ${money(nano)}`)
      .join(', ')}`,
  );
  console.log(
    `Total ${money(report.totalNanoUsd)}${billed === undefined ? '' : `; the fake billed ${money(billed)} (${billed === report.totalNanoUsd ? 'reconciled exactly' : 'MISMATCH'})`}`,
  );
}
