// Throughput of 1, 2 and 3 worker processes on the Redis backend, with the
// per-process concurrency fixed, on the same fan-out: N one-call subtasks of
// `army.map` (coordinator in this process, no journal) against the fake API
// in a process of its own with a fixed latency L, through a redis-server of
// the bench's own (loopback, no persistence). Per worker count: makespan,
// subtasks per second, the speed-up over one worker, the ideal speed-up, CPU
// ms per subtask (workers + coordinator), and whether the merged ledger
// equals the fake's bill.
//
//   pnpm bench:redis -- [--n 2000] [--c 16] [--latency 50] [--workers 1,2,3] [--json]
//   pnpm bench:redis                  (both target configurations: 2000/16/50 and 600/16/500)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createArmy } from '@haiku-army/orchestrator';
import { redisBackend } from '@haiku-army/redis';
import { startFakeProcess } from './lib/fake-process.mjs';
import { cliArgs, machineLoad, round } from './lib/stats.mjs';

const WORKER = fileURLToPath(new URL('./lib/redis-worker-process.mjs', import.meta.url));
const NO_LIMITS = ['--rpm', '1000000000', '--itpm', '1000000000000', '--otpm', '1000000000000'];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error('bench:redis needs redis-server on PATH (apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${seen}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startWorkerProcess(redisUrl, baseURL, concurrency) {
  const child = spawn(process.execPath, [WORKER, redisUrl, baseURL, String(concurrency)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    ready,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.trim().split('\n').at(-1));
    },
  };
}

/** CPU ms of a process by pid (user + system), from /proc, or undefined. */
async function cpuMsOf(pid) {
  try {
    const { readFileSync } = await import('node:fs');
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** One fan-out with `workers` worker processes at `c` each. */
async function measure({ n, c, latency, workers }) {
  const redis = await startRedis();
  const fake = await startFakeProcess(['--latency-ms', String(latency), '--no-demo', ...NO_LIMITS]);
  const processes = Array.from({ length: workers }, () =>
    startWorkerProcess(redis.url, fake.url, c),
  );
  await Promise.all(processes.map((worker) => worker.ready));
  const backend = redisBackend({ url: redis.url });
  try {
    const army = createArmy({
      backend,
      baseURL: fake.url,
      apiKey: 'bench-key',
      journal: false,
      // Enough jobs enqueued that every worker process stays full.
      concurrency: workers * c * 2,
    });
    const items = Array.from({ length: n }, (_, index) => index + 1);
    const cpuBefore = process.cpuUsage();
    const redisCpuBefore = await cpuMsOf(redis.pid);
    const start = performance.now();
    const result = await army.map(items, (item) => `Answer ${item}.`);
    const makespanMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const redisCpuMs = (await cpuMsOf(redis.pid)) - redisCpuBefore;
    const stats = await fake.stats();
    const bill = stats.billing;
    const stopped = await Promise.all(processes.map((worker) => worker.stop()));
    const workerCpuMs = stopped.reduce((sum, worker) => sum + worker.cpuMs, 0);
    return {
      config: `${n}/${c}/${latency}`,
      workers,
      done: result.subtasks.filter((subtask) => subtask.status === 'done').length,
      makespanMs: Math.round(makespanMs),
      subtasksPerSecond: round((n / makespanMs) * 1000, 1),
      idealSubtasksPerSecond: round((workers * c * 1000) / latency, 1),
      cpuMsPerSubtask: {
        workers: round(workerCpuMs / n),
        coordinator: round((cpu.user + cpu.system) / 1000 / n),
        redis: Number.isFinite(redisCpuMs) ? round(redisCpuMs / n) : null,
      },
      ledgerEqualsBill:
        result.cost.totals.total === bill.nanoUsd &&
        army.ledger.entries({ runId: result.runId }).length === bill.calls,
    };
  } finally {
    await backend.close();
    await fake.close();
    await redis.stop();
  }
}

export async function redisWorkers({ n = 2000, c = 16, latency = 50, workers = [1, 2, 3] } = {}) {
  const results = [];
  for (const count of workers) results.push(await measure({ n, c, latency, workers: count }));
  const one = results.find((result) => result.workers === 1);
  const load = await machineLoad();
  return results.map((result) => ({
    ...result,
    ratios: {
      speedUpOverOne: one ? round(result.subtasksPerSecond / one.subtasksPerSecond) : null,
      idealSpeedUp: one ? result.workers : null,
      fractionOfIdeal: round(result.subtasksPerSecond / result.idealSubtasksPerSecond),
    },
    machine: load,
  }));
}

export default async function redisWorkersBench() {
  return redisWorkers({ n: Number(process.env.BENCH_TASKS ?? 600) });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = await cliArgs(process.argv.slice(2), {
    n: { type: 'string' },
    c: { type: 'string' },
    latency: { type: 'string' },
    workers: { type: 'string' },
    json: { type: 'boolean' },
  });
  const workers = args.workers ? { workers: args.workers.split(',').map(Number) } : {};
  // Without a size: both target configurations, CPU-bound (50 ms) and latency-bound (500 ms).
  const configs =
    args.n || args.c || args.latency
      ? [
          {
            ...(args.n ? { n: Number(args.n) } : {}),
            ...(args.c ? { c: Number(args.c) } : {}),
            ...(args.latency ? { latency: Number(args.latency) } : {}),
          },
        ]
      : [
          { n: 2000, c: 16, latency: 50 },
          { n: 600, c: 16, latency: 500 },
        ];
  const results = [];
  for (const config of configs) results.push(...(await redisWorkers({ ...config, ...workers })));
  for (const result of results) {
    if (args.json) console.log(JSON.stringify(result));
    else
      console.table([
        {
          config: result.config,
          workers: result.workers,
          'subtasks/s': result.subtasksPerSecond,
          'ideal/s': result.idealSubtasksPerSecond,
          'speed-up': result.ratios.speedUpOverOne,
          makespanMs: result.makespanMs,
          'cpu ms/subtask (workers, coordinator, redis)': `${result.cpuMsPerSubtask.workers}, ${result.cpuMsPerSubtask.coordinator}, ${result.cpuMsPerSubtask.redis}`,
          done: result.done,
          'ledger = bill': result.ledgerEqualsBill,
        },
      ]);
  }
}
