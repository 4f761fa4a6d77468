// Message Batches through the gateway against the fake API over HTTP: a
// batch of BENCH_BATCH_ITEMS requests (default 2,000) in chunks of 500,
// polled every 10 ms. Reports wall time, requests per second, heap growth,
// whether the ledger reconciles with the server's bill, and what the same
// usages would have cost interactively (the batch tier's saving).
import Anthropic from '@anthropic-ai/sdk';
import { Budget, CostLedger, costOf, createGateway, usd } from '@haiku-army/core';
import { reply, startFakeAnthropic } from '@haiku-army/testing';

const ITEMS = Number(process.env.BENCH_BATCH_ITEMS ?? 2_000);

export default async function batchBench() {
  const fake = await startFakeAnthropic({
    batchProcessingMs: 20,
    defaultResponder: (request) => reply.text(`label ${request.messages.length} for this ticket`),
  });
  const ledger = new CostLedger();
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'bench', baseURL: fake.url }),
    ledger,
    budget: new Budget({ limits: { run: usd(100) } }),
  });
  const items = Array.from({ length: ITEMS }, (_, index) => ({
    request: {
      model: 'claude-haiku-5-5',
      max_tokens: 64,
      messages: [
        { role: 'user', content: `Classify ticket ${index}: ${'printer jam '.repeat(index % 17)}` },
      ],
    },
    attribution: { runId: 'bench', taskId: `ticket-${index}`, role: 'classifier' },
  }));
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = await gateway.batch(items, { maxRequestsPerBatch: 500, pollIntervalMs: 10 })
    .result;
  const elapsedMs = performance.now() - started;
  const heapAfter = process.memoryUsage().heapUsed;
  let interactive = 0;
  for (const outcome of result.outcomes) {
    if (outcome.status === 'succeeded')
      interactive += costOf(outcome.entry.model, {
        ...outcome.entry.usage,
        serviceTier: 'standard',
      }).total;
  }
  const billed = fake.billing.total();
  await fake.close();
  return [
    {
      name: `batch of ${ITEMS} requests, chunks of 500`,
      items: ITEMS,
      batches: result.batchIds.length,
      succeeded: result.counts.succeeded,
      elapsedMs: Math.round(elapsedMs),
      requestsPerSecond: Math.round((ITEMS / elapsedMs) * 1000),
      heapGrowthBytes: heapAfter - heapBefore,
      ledgerNanoUsd: ledger.spent(),
      billedNanoUsd: billed,
      reconciled: ledger.spent() === billed,
      interactiveNanoUsd: interactive,
      savingRatio: Number((1 - billed / interactive).toFixed(4)),
    },
  ];
}
