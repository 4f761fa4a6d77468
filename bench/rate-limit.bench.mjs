// A fan-out at the rate limit (issue 13, point 3): N one-call subtasks
// through `army.map` with the gateway's RateLimiter (which learns the limits
// from the response headers) against the fake API over HTTP, which limits
// requests, input tokens and output tokens per minute. The limits are set
// from a calibration call so that one of them binds and the run takes about
// a minute. Prints, per limit: what was used, the achieved throughput as a
// fraction of the limit, and the makespan against the bound the limits set
// (the fake's buckets start full: a limit L per minute serves L at once and
// then L per minute, so U used needs at least (U - L) / L minutes); and the
// 429 responses the fake sent.
//
//   pnpm bench:ratelimit -- [--n 2000] [--c 64] [--binding itpm|rpm|otpm] [--bound-s 45] [--rounds 1] [--json]
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { RateLimiter } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { cliArgs, machineLoad, round } from './lib/stats.mjs';

const MODEL = 'claude-haiku-5-5';
const MAX_OUTPUT_TOKENS = 256;
/** How much looser than the binding limit the other two are set. */
const SLACK = 1.25;
const LIMITS = ['rpm', 'itpm', 'otpm'];

const brief = (index) => `Summarise item ${index} of the catalogue in one sentence.`;
const items = (n) => Array.from({ length: n }, (_, index) => index);

async function fanOut({ n, c, limits }) {
  const fake = await startFakeAnthropic({
    latency: { firstByte: 20 },
    ...(limits ? { limits: { [MODEL]: limits } } : {}),
    defaultLimits: { rpm: 1e9, itpm: 1e12, otpm: 1e12 },
  });
  try {
    const army = createArmy({
      baseURL: fake.url,
      apiKey: 'bench',
      workers: MODEL,
      concurrency: c,
      journal: false,
      limits: { maxOutputTokens: MAX_OUTPUT_TOKENS },
      rateLimiter: new RateLimiter(),
    });
    const started = performance.now();
    const result = await army.map(items(n), brief);
    const makespanMs = performance.now() - started;
    const stats = fake.stats();
    const billing = fake.billing.entries;
    const used = {
      rpm: billing.length,
      itpm: billing.reduce(
        (sum, entry) =>
          sum + entry.usage.input_tokens + (entry.usage.cache_creation_input_tokens ?? 0),
        0,
      ),
      otpm: billing.reduce((sum, entry) => sum + entry.usage.output_tokens, 0),
    };
    return {
      result,
      makespanMs,
      used,
      http429: stats.rateLimited,
      requests: stats.requests,
      reconciled: army.ledger.spent() === fake.billing.total(),
    };
  } finally {
    await fake.close();
  }
}

/** Per-request usage of the fan-out, from a short run against a fake without limits. */
async function calibrate(c) {
  const n = Math.max(20, c);
  const { used } = await fanOut({ n, c, limits: undefined });
  return { rpm: 1, itpm: used.itpm / used.rpm, otpm: used.otpm / used.rpm };
}

/** Limits for `n` subtasks with `binding` at a bound of `boundS` seconds and the others `SLACK` looser. */
function limitsFor(n, perRequest, binding, boundS) {
  const limits = {};
  for (const limit of LIMITS) {
    const seconds = limit === binding ? boundS : boundS / SLACK;
    // (U - L) / L minutes = seconds / 60  =>  L = U / (1 + seconds / 60)
    limits[limit] = Math.max(1, Math.floor((n * perRequest[limit]) / (1 + seconds / 60)));
  }
  return limits;
}

export async function rateLimit({ n = 2000, c = 64, binding = 'itpm', boundS = 45, rounds = 1 }) {
  if (!LIMITS.includes(binding))
    throw new Error(`--binding must be one of ${LIMITS.join(', ')}, got ${binding}`);
  const perRequest = await calibrate(c);
  const limits = limitsFor(n, perRequest, binding, boundS);
  const results = [];
  for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
    const machine = await machineLoad();
    const run = await fanOut({ n, c, limits });
    const makespanMin = run.makespanMs / 60_000;
    const perLimit = {};
    let boundMs = 0;
    for (const limit of LIMITS) {
      const used = run.used[limit];
      const capacity = limits[limit];
      const limitBoundMs = (Math.max(0, used - capacity) / capacity) * 60_000;
      boundMs = Math.max(boundMs, limitBoundMs);
      perLimit[limit] = {
        limit: capacity,
        used,
        boundMs: Math.round(limitBoundMs),
        // The rate above the full bucket the run started with, against the refill rate.
        fractionOfLimit: round(Math.max(0, used - capacity) / (capacity * makespanMin), 4),
      };
    }
    const bindingLimit = LIMITS.reduce((a, b) =>
      perLimit[b].boundMs > perLimit[a].boundMs ? b : a,
    );
    results.push({
      bench: 'rate-limit',
      config: `${n}/${c}/${binding}`,
      n,
      c,
      round: roundIndex + 1,
      ratios: {
        bindingFraction: perLimit[bindingLimit].fractionOfLimit,
        boundToMakespan: round(boundMs / run.makespanMs, 4),
        http429Fraction: round(run.http429 / run.requests, 5),
      },
      binding: bindingLimit,
      makespanMs: Math.round(run.makespanMs),
      boundMs: Math.round(boundMs),
      http429: run.http429,
      requests: run.requests,
      perRequest: {
        inputTokens: round(perRequest.itpm, 1),
        outputTokens: round(perRequest.otpm, 1),
        maxTokens: MAX_OUTPUT_TOKENS,
      },
      limits: perLimit,
      status: run.result.status,
      done: run.result.subtasks.filter((subtask) => subtask.status === 'done').length,
      reconciled: run.reconciled,
      machine,
    });
  }
  return results;
}

/** For `node bench/run.mjs`: a shorter fan-out (about 20 s). */
export default async function rateLimitBench() {
  return rateLimit({ n: Number(process.env.BENCH_TASKS ?? 1000), boundS: 20 });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = await cliArgs(process.argv.slice(2), {
    n: { type: 'string' },
    c: { type: 'string' },
    binding: { type: 'string' },
    'bound-s': { type: 'string' },
    rounds: { type: 'string' },
    json: { type: 'boolean' },
  });
  const results = await rateLimit({
    n: Number(args.n ?? 2000),
    c: Number(args.c ?? 64),
    binding: args.binding ?? 'itpm',
    boundS: Number(args['bound-s'] ?? 45),
    rounds: Number(args.rounds ?? 1),
  });
  for (const result of results) {
    if (args.json) console.log(JSON.stringify(result));
    else
      console.table([
        {
          config: result.config,
          binding: result.binding,
          'binding fraction': result.ratios.bindingFraction,
          'bound/makespan': result.ratios.boundToMakespan,
          '429s': `${result.http429} of ${result.requests}`,
          makespanMs: result.makespanMs,
          boundMs: result.boundMs,
          rpm: result.limits.rpm.fractionOfLimit,
          itpm: result.limits.itpm.fractionOfLimit,
          otpm: result.limits.otpm.fractionOfLimit,
          done: result.done,
        },
      ]);
  }
}
