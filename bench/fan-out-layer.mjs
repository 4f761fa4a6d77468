// One measurement of one fan-out layer, in a process of its own (spawned by
// fan-out.bench.mjs) so CPU time and peak RSS are this layer's alone. Warms
// up on a smaller run first, then measures N subtasks and prints one JSON
// object on stdout.
//   node --expose-gc bench/fan-out-layer.mjs '{"layer":"army","url":"...","n":2000,"c":50}'
import { performance } from 'node:perf_hooks';
import { buildLayer, workerRequests } from './lib/fan-out-layers.mjs';
import { registerTracing } from './lib/tracing.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const { layer, url, n, c } = config;
const warmup = config.warmup ?? Math.min(n, Math.max(2 * c, 200));
if (config.tracing) registerTracing(config.tracing);

async function control(path, method = 'GET') {
  return (await fetch(`${url}/_fake/${path}`, { method })).json();
}

const requests = layer === 'floor' || layer === 'gateway' ? await workerRequests(n) : undefined;
if (warmup > 0) await buildLayer(layer, { ...config, n: warmup, requests })();
const run = buildLayer(layer, { ...config, requests });
globalThis.gc?.();
await control('reset', 'POST');
const serverBefore = await control('stats');
const cpuBefore = process.cpuUsage();
const started = performance.now();
const outcome = await run();
const makespanMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const server = await control('stats');
const ledgerNanoUsd = outcome.ledger?.spent();
const serverCpuUs =
  server.cpu.userUs + server.cpu.systemUs - serverBefore.cpu.userUs - serverBefore.cpu.systemUs;
console.log(
  JSON.stringify({
    layer,
    n,
    c,
    ok: outcome.ok,
    ...(outcome.finished !== undefined ? { events: outcome.finished } : {}),
    ...(outcome.status !== undefined ? { status: outcome.status } : {}),
    makespanMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakInFlight: server.peakInFlight,
    serverRequests: server.requests,
    server429: server.rateLimited,
    serverCpuMs: serverCpuUs / 1000,
    billedCalls: server.billing.calls,
    billedNanoUsd: server.billing.nanoUsd,
    ...(ledgerNanoUsd !== undefined ? { ledgerNanoUsd } : {}),
  }),
);
