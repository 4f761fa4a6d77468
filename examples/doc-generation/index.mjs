// Writes a Markdown page per module with createArmy: army.map runs one Haiku
// worker per source file, each reads its module and writes `docs/<name>.md`
// with the `write_file` tool of writeFiles({ outDir }) (it can write nowhere
// else) and submits the module's exports and one-line description as data.
// A reduce step (plain code, no model call) builds `index.md` from that
// data. Offline (no ANTHROPIC_API_KEY) the fake Anthropic API of
// @haiku-army/testing answers with its SIMULATED workers; with a key, the
// same code calls the real API.
//
//   node index.mjs [--root DIR] [--out DIR] [--concurrency N] [--latency MS] [--json]
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatUsd, usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools, writeFiles } from '@haiku-army/worker';
import * as z from 'zod';

const { values } = parseArgs({
  options: {
    root: {
      type: 'string',
      default: fileURLToPath(new URL('../../packages/core/src', import.meta.url)),
    },
    out: { type: 'string' },
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
  console.error(`--root ${values.root} is not a directory; pass a folder of modules.`);
  process.exit(2);
}
// The modules directly in root (an index.ts only re-exports; tests are not modules).
const files = readdirSync(root)
  .filter((name) => /\.[cm]?[jt]s$/.test(name) && !/\.(test|spec|d)\.|^index\./.test(name))
  .sort();
if (files.length === 0) {
  console.error(`No modules (.ts or .js files) directly in ${root}.`);
  process.exit(2);
}

const outDir = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), 'haiku-army-docs-'));
const writer = writeFiles({ outDir });
const docPath = (file) => `docs/${basename(file).replace(/\.[cm]?[jt]s$/, '')}.md`;

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live
  ? undefined
  : await startFakeAnthropic(
      values.latency === undefined ? {} : { latency: integer('latency', values.latency, 0) },
    );
const army = createArmy({
  ...(fake ? { baseURL: fake.url, apiKey: 'offline-demo' } : {}),
  workers: 'claude-haiku-5-5',
  tools: [...codebaseTools({ root }), ...writer.tools],
  artifacts: writer,
  concurrency,
  budget: { run: usd(1), task: usd(0.05) },
});

/** The index page: one line per module, from the data the workers submitted. */
function buildIndex(results) {
  const lines = [`# API reference: ${root.split(sep).slice(-2).join('/')}`, ''];
  for (const result of [...results].sort((a, b) => a.id.localeCompare(b.id))) {
    if (result.status !== 'done' || !result.data) {
      lines.push(`- ${result.id}: not documented (${result.status}: ${result.summary})`);
      continue;
    }
    const { path, exports, description } = result.data;
    const link = `[${path.replace(/^docs\//, '').replace(/\.md$/, '')}](${path})`;
    // The first sentence of the description, and the export count.
    const gist = description?.split(/(?<=\.)\s/)[0];
    lines.push(
      `- ${link}${gist ? `: ${gist}` : ''} (${exports.length} export${exports.length === 1 ? '' : 's'})`,
    );
  }
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(writer.outDir, 'index.md'), text);
  return text;
}

const result = await army.map(
  files,
  (file) => ({
    // The key: value lines are the brief's facts (and what the simulated worker reads).
    objective: `Write the reference page of the module ${file}.\nfiles:\n- ${file}\nwrite: ${docPath(file)}`,
    outputFormat:
      'One sentence: the page written and what it covers. data: { path, exports: names of the exported values and types, description: the module in one line }.',
    guidance: `Read ${file} with read_file, then write ${docPath(file)} once with write_file: a title, what the module is for, then each export with its signature, what it does (from its doc comment) and its examples.`,
    boundaries: 'Write only that one page. Describe what the code says; do not invent behaviour.',
  }),
  {
    id: (file) => file.replace(/[^A-Za-z0-9_.:-]/g, '-'),
    output: z.object({
      path: z.string(),
      exports: z.array(z.string()),
      description: z.string().optional(),
    }),
    reduce: buildIndex,
    job: `Write the API reference of the ${files.length} modules of ${root}`,
  },
);
const billed = fake?.billing.total();
await fake?.close();

const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated workers)',
  status: result.status,
  outDir: writer.outDir,
  index: result.answer,
  pages: result.subtasks.map((subtask) => ({
    id: subtask.id,
    status: subtask.status,
    calls: subtask.calls,
    costNanoUsd: subtask.cost.total,
    summary: subtask.summary,
  })),
  artifacts: [...result.artifacts].sort((a, b) => a.path.localeCompare(b.path)),
  totalNanoUsd: result.cost.total,
  billedNanoUsd: billed,
  cacheHitRate: result.cacheHitRate,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const money = (nano) => formatUsd(nano, { digits: 6 });
  console.log(`haiku-army doc generation for ${files.length} modules of ${root}, ${report.mode}`);
  console.log(`Writing under ${report.outDir}\n`);
  for (const page of report.pages)
    console.log(
      `${page.status.padEnd(6)}${page.id.padEnd(22)}${money(page.costNanoUsd).padStart(10)}  ${page.summary}`,
    );
  console.log(`\nindex.md (built by reduce, no model call):\n${report.index}`);
  console.log(
    `Total ${money(report.totalNanoUsd)} for ${report.artifacts.length} pages${billed === undefined ? '' : `; the fake billed ${money(billed)} (${billed === report.totalNanoUsd ? 'reconciled exactly' : 'MISMATCH'})`}; cache hit rate ${(report.cacheHitRate * 100).toFixed(1)}%`,
  );
}
