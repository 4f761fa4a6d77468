// The result cache on a repeated codebase search: a generated repository of
// N files, the search run against the fake over HTTP (its simulated workers
// read every file of their shard), then run again four ways: nothing changed
// (every subtask and the plan reused: what a lookup costs), every file
// touched with the same content (the re-check hashes each file, as after a
// fresh checkout), one file edited (one shard and the synthesis billed), and
// with `cache: false` (the whole job billed). The figures are for
// bench/README.md, never asserted.
//
// node bench/cache.bench.mjs [--files 2000] [--json]
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createArmy } from '@haiku-army/orchestrator';
import { createDemoResponders, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';

const JOB = 'find every place that calls "retryCall"';

/** A repository of `files` modules in folders of 50, every 25th calling retryCall. */
function generateRepository(root, files) {
  const paths = [];
  for (let index = 0; index < files; index++) {
    const folder = join(root, 'src', `area-${String(Math.floor(index / 50)).padStart(3, '0')}`);
    mkdirSync(folder, { recursive: true });
    const name = `module-${String(index).padStart(5, '0')}.js`;
    const call =
      index % 25 === 0 ? `export const load = () => retryCall(() => fetch('/${index}'));\n` : '';
    const filler = Array.from(
      { length: 40 },
      (_, line) => `// line ${line} of module ${index}`,
    ).join('\n');
    writeFileSync(join(folder, name), `${filler}\n${call}export const id = ${index};\n`);
    paths.push(join(folder, name));
  }
  return paths;
}

async function measureRun(army, fake, label, options = {}) {
  fake.reset();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await army.run(JOB, options);
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    run: label,
    status: result.status,
    subtasks: result.subtasks.length,
    reused: result.reused,
    billedCalls: fake.billing.entries.length,
    billedUsd: Number((fake.billing.total() / 1e9).toFixed(6)),
    savedByReuseUsd: Number((result.savedByReuse / 1e9).toFixed(6)),
    ledgerEqualsBill: result.cost.totals.total === fake.billing.total(),
    elapsedMs: Math.round(elapsedMs),
    cpuMs: Math.round((used.user + used.system) / 1000),
  };
}

export default async function cacheBench({ files = 2000 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'army-cache-bench-'));
  const root = join(base, 'repo');
  const paths = generateRepository(root, files);
  const demo = createDemoResponders({ worker: { searchAssignedFiles: true } });
  const fake = await startFakeAnthropic({ ...demo });
  try {
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'bench',
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
      journal: false,
      cache: join(base, 'cache'),
      plannerMaxTokens: 32_000,
      logger: { warn: () => {} },
    });
    const rows = [];
    rows.push({ files, ...(await measureRun(army, fake, 'cold')) });
    rows.push({ files, ...(await measureRun(army, fake, 'unchanged')) });
    // Same content, new mtime on every file: each recorded read is hashed again.
    const later = new Date(Date.now() + 60_000);
    for (const path of paths) utimesSync(path, later, later);
    rows.push({ files, ...(await measureRun(army, fake, 'touched')) });
    writeFileSync(paths[7], `export const again = () => retryCall(() => fetch('/again'));\n`, {
      flag: 'a',
    });
    rows.push({ files, ...(await measureRun(army, fake, 'one edit')) });
    rows.push({ files, ...(await measureRun(army, fake, 'cache: false', { cache: false })) });
    return rows;
  } finally {
    await fake.close();
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--files');
  const rows = await cacheBench({ files: at >= 0 ? Number(argv[at + 1]) : 2000 });
  if (argv.includes('--json')) for (const row of rows) console.log(JSON.stringify(row));
  else console.table(rows);
}
