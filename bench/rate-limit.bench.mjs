// A burst larger than the server's request limit: with the gateway's
// RateLimiter (which learns the limit from the first response's headers and
// then waits) versus without it (the gateway only retries 429s). Reports
// 429s drawn, retries, wall time and billed calls. Takes about 2 x 20 s: the
// limit is per minute, so the overflow has to wait for the bucket to refill.
import Anthropic from '@anthropic-ai/sdk';
import { CostLedger, createGateway, RateLimiter } from '@haiku-army/core';
import { startFakeAnthropic } from '@haiku-army/testing';

const RPM = Number(process.env.BENCH_RPM ?? 300);
const BURST = Number(process.env.BENCH_BURST ?? 400);

async function run(withLimiter) {
  const fake = await startFakeAnthropic({
    limits: { 'claude-haiku-5-5': { rpm: RPM } },
    latency: { firstByte: 10 },
  });
  let refused = 0;
  const ledger = new CostLedger();
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'bench', baseURL: fake.url }),
    ledger,
    maxAttempts: 100,
    retryMaxDelayMs: 2_000,
    ...(withLimiter ? { rateLimiter: new RateLimiter() } : {}),
  });
  gateway.events.on('call:retry', (event) => {
    if (event.status === 429) refused += 1;
  });
  const request = {
    model: 'claude-haiku-5-5',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'ping' }],
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: BURST }, (_, index) =>
      gateway.call(request, { runId: 'burst', taskId: `t${index}`, role: 'worker' }),
    ),
  );
  const elapsedMs = performance.now() - started;
  const billed = fake.billing.entries.length;
  await fake.close();
  return {
    name: `${BURST} requests against ${RPM} RPM, ${withLimiter ? 'with' : 'without'} the rate limiter`,
    rpm: RPM,
    burst: BURST,
    rateLimiter: withLimiter,
    http429: refused,
    elapsedMs: Math.round(elapsedMs),
    billedCalls: billed,
    ledgerEntries: ledger.entries().length,
  };
}

export default async function rateLimitBench() {
  return [await run(true), await run(false)];
}
