// Fan-out overhead against the raw SDK floor. N one-call subtasks with
// concurrency C against the fake API in a process of its own with a fixed
// latency L, through four layers in the same run, alternating: the raw SDK
// with p-queue (the floor), the gateway, the WorkerPool and army.map. Each
// measurement runs in a fresh process (lib: fan-out-layer.mjs), so its CPU
// time (user + system) and peak RSS are the layer's own. Per layer: makespan,
// ideal (ceil(N/C) * L), efficiency (ideal / makespan), CPU ms per subtask,
// peak RSS, peak requests in flight at the server, and the ratios to the
// floor (medians over the rounds of per-round ratios).
//
// With the tracing layers (off with --no-tracing): army.map with a no-op
// OpenTelemetry provider registered, and with the SDK's provider recording.
//
//   pnpm bench:fanout -- --n 2000 --c 50 --latency 100 [--rounds 3] [--no-tracing] [--journal DIR] [--json]
//   pnpm bench:fanout                 (both target configurations)
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startFakeProcess } from './lib/fake-process.mjs';
import { LAYERS } from './lib/fan-out-layers.mjs';
import { cliArgs, machineLoad, median, round } from './lib/stats.mjs';
import { TRACING } from './lib/tracing.mjs';

const CHILD = fileURLToPath(new URL('./fan-out-layer.mjs', import.meta.url));
/** High enough that the fake never limits a fan-out (this bench measures overhead, not limits). */
const NO_LIMITS = ['--rpm', '1000000000', '--itpm', '1000000000000', '--otpm', '1000000000000'];

function measureLayer(config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`layer ${config.layer} exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

/**
 * The layers of a configuration. `army` runs without a journal; `journal`
 * (a directory) adds army.map with its journal on (`army+journal`, as a
 * user runs it by default); `tracing` adds army.map with a no-op OpenTelemetry tracer provider
 * registered (`army+noop-otel`: what an untraced host pays) and with the
 * SDK's tracer provider recording every span (`army+otel`; no exporter).
 */
function layersOf(options) {
  const layers = LAYERS.map((layer) => ({ name: layer, layer }));
  if (options.journal)
    layers.push({ name: 'army+journal', layer: 'army', journal: options.journal });
  if (options.tracing)
    for (const tracing of TRACING)
      layers.push({
        name: `army+${tracing}-otel`.replace('+sdk-otel', '+otel'),
        layer: 'army',
        tracing,
      });
  return layers;
}

/**
 * Runs one configuration: `rounds` rounds, each measuring every layer once
 * (the order rotates every round), against one fake server.
 */
export async function fanOut({ n, c, latency, rounds = 3, journal, tracing = false }) {
  const fake = await startFakeProcess(['--latency-ms', String(latency), ...NO_LIMITS]);
  const layers = layersOf({ journal, tracing });
  const runs = new Map(layers.map((layer) => [layer.name, []]));
  const load = [];
  try {
    for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
      load.push((await machineLoad()).loadAverage1m);
      for (let step = 0; step < layers.length; step++) {
        const layer = layers[(roundIndex + step) % layers.length];
        const measured = await measureLayer({
          layer: layer.layer,
          url: fake.url,
          n,
          c,
          ...(layer.journal ? { journal: layer.journal } : {}),
          ...(layer.tracing ? { tracing: layer.tracing } : {}),
        });
        runs.get(layer.name).push(measured);
      }
    }
  } finally {
    await fake.close();
  }
  const idealMs = Math.ceil(n / c) * latency;
  const derived = (run) => ({
    efficiency: idealMs / run.makespanMs,
    cpuMsPerSubtask: run.cpuMs / n,
    throughputPerS: (n / run.makespanMs) * 1000,
  });
  const floorRuns = runs.get('floor').map(derived);
  const armyRuns = runs.get('army').map(derived);
  const machine = await machineLoad();
  return layers.map(({ name, layer }) => {
    const mine = runs.get(name);
    const figures = mine.map(derived);
    const ratio = (pick, base = floorRuns) =>
      median(figures.map((figure, index) => pick(figure, base[index])));
    return {
      config: `${n}/${c}/${latency}`,
      n,
      c,
      latencyMs: latency,
      layer: name,
      rounds,
      ratios: {
        efficiencyMinusFloor: round(ratio((mine, floor) => mine.efficiency - floor.efficiency)),
        cpuPerSubtaskToFloor: round(
          ratio((mine, floor) => mine.cpuMsPerSubtask / floor.cpuMsPerSubtask),
        ),
        throughputToFloor: round(
          ratio((mine, floor) => mine.throughputPerS / floor.throughputPerS),
        ),
        // The army layers against plain army.map in the same round (journal, tracing).
        ...(layer === 'army' && name !== 'army'
          ? {
              cpuPerSubtaskToArmy: round(
                ratio((mine, army) => mine.cpuMsPerSubtask / army.cpuMsPerSubtask, armyRuns),
              ),
              efficiencyMinusArmy: round(
                ratio((mine, army) => mine.efficiency - army.efficiency, armyRuns),
              ),
            }
          : {}),
      },
      makespanMs: Math.round(median(mine.map((run) => run.makespanMs))),
      idealMs,
      efficiency: round(median(figures.map((figure) => figure.efficiency))),
      cpuMsPerSubtask: round(median(figures.map((figure) => figure.cpuMsPerSubtask))),
      throughputPerS: Math.round(median(figures.map((figure) => figure.throughputPerS))),
      peakRssMb: round(median(mine.map((run) => run.peakRssBytes / 2 ** 20)), 1),
      peakInFlightAtServer: Math.min(...mine.map((run) => run.peakInFlight)),
      serverCpuMsPerSubtask: round(median(mine.map((run) => run.serverCpuMs / n))),
      done: Math.min(...mine.map((run) => run.ok)),
      reconciled: mine.every(
        (run) => run.ledgerNanoUsd === undefined || run.ledgerNanoUsd === run.billedNanoUsd,
      ),
      http429: mine.reduce((sum, run) => sum + run.server429, 0),
      machine: { ...machine, loadAverage1mPerRound: load },
      runs: mine.map((run) => ({
        makespanMs: Math.round(run.makespanMs),
        cpuMs: Math.round(run.cpuMs),
        peakRssMb: round(run.peakRssBytes / 2 ** 20, 1),
        peakInFlight: run.peakInFlight,
      })),
    };
  });
}

function table(results) {
  const rows = results.map((result) => ({
    config: result.config,
    layer: result.layer,
    'eff-floor': result.ratios.efficiencyMinusFloor,
    'cpu/floor': result.ratios.cpuPerSubtaskToFloor,
    'thru/floor': result.ratios.throughputToFloor,
    'cpu/army': result.ratios.cpuPerSubtaskToArmy ?? '',
    makespanMs: result.makespanMs,
    idealMs: result.idealMs,
    efficiency: result.efficiency,
    'cpuMs/subtask': result.cpuMsPerSubtask,
    peakRssMb: result.peakRssMb,
    inFlight: result.peakInFlightAtServer,
    done: result.done,
    reconciled: result.reconciled,
  }));
  console.table(rows);
}

const CONFIGS = [
  { n: 2000, c: 50, latency: 100 },
  { n: 5000, c: 500, latency: 200 },
];

/** For `node bench/run.mjs`: a smaller run of the first target configuration. */
export default async function fanOutBench() {
  const n = Number(process.env.BENCH_TASKS ?? 1000);
  return fanOut({ n, c: 50, latency: 100, rounds: 1 });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = await cliArgs(process.argv.slice(2), {
    n: { type: 'string' },
    c: { type: 'string' },
    latency: { type: 'string' },
    rounds: { type: 'string' },
    journal: { type: 'string' },
    'no-tracing': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const configs =
    args.n || args.c || args.latency
      ? [
          {
            n: Number(args.n ?? 2000),
            c: Number(args.c ?? 50),
            latency: Number(args.latency ?? 100),
          },
        ]
      : CONFIGS;
  for (const config of configs) {
    const results = await fanOut({
      ...config,
      rounds: Number(args.rounds ?? 3),
      ...(args.journal ? { journal: args.journal } : {}),
      tracing: !args['no-tracing'],
    });
    if (args.json)
      for (const result of results) console.log(JSON.stringify({ bench: 'fan-out', ...result }));
    else table(results);
  }
}
