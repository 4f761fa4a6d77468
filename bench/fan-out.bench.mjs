// Fan-out through the real stack: a WorkerPool of tool-using workers, every
// call through the gateway (budget, rate limiter, ledger) and the real SDK,
// against the fake API over HTTP with 25 ms of model time per call. Reports
// throughput, the peak of requests in flight at the server, heap growth and
// whether the ledger reconciles with the server's bill.
import Anthropic from '@anthropic-ai/sdk';
import { Budget, CostLedger, createGateway, RateLimiter, usd } from '@haiku-army/core';
import { reply, startFakeAnthropic, toolExchanges } from '@haiku-army/testing';
import { defineTool, WorkerPool } from '@haiku-army/worker';
import * as z from 'zod';

const TASKS = Number(process.env.BENCH_TASKS ?? 400);

async function run(concurrency) {
  let inFlight = 0;
  let peak = 0;
  const fake = await startFakeAnthropic({
    // The model time below is the only latency, as in earlier figures.
    latency: 0,
    models: {
      'claude-haiku-5-5': async (request) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        // The model's 25 ms of "thinking" happens while the request is counted in flight.
        await new Promise((resolve) => setTimeout(resolve, 25));
        inFlight -= 1;
        const done = toolExchanges(request).length;
        if (done === 0) return reply.toolUse('lookup', { key: 'a' });
        return reply.toolUse('submit_result', { status: 'done', summary: 'found it' });
      },
    },
  });
  const ledger = new CostLedger();
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'bench', baseURL: fake.url }),
    ledger,
    budget: new Budget({ limits: { run: usd(100) } }),
    rateLimiter: new RateLimiter(),
  });
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks a key up.',
    input: z.object({ key: z.string() }),
    run: ({ key }) => `value of ${key}`,
  });
  const pool = new WorkerPool({ gateway, concurrency, tools: [lookup] });
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const results = await pool.submitAll(
    Array.from({ length: TASKS }, (_, index) => ({
      id: `task-${index}`,
      brief: `Look up key ${index}.`,
    })),
  );
  const elapsedMs = performance.now() - started;
  const heapAfter = process.memoryUsage().heapUsed;
  const billed = fake.billing.total();
  await fake.close();
  return {
    name: `pool of ${TASKS} workers, concurrency ${concurrency}`,
    tasks: TASKS,
    concurrency,
    done: results.filter((result) => result.status === 'done').length,
    calls: ledger.entries().length,
    elapsedMs: Math.round(elapsedMs),
    tasksPerSecond: Math.round((TASKS / elapsedMs) * 1000),
    peakInFlightAtServer: peak,
    heapGrowthBytes: heapAfter - heapBefore,
    ledgerNanoUsd: ledger.spent(),
    billedNanoUsd: billed,
    reconciled: ledger.spent() === billed,
  };
}

export default async function fanOutBench() {
  const results = [];
  for (const concurrency of [8, 32, 128]) results.push(await run(concurrency));
  return results;
}
