import { performance } from 'node:perf_hooks';

/** Runs `fn` `iterations` times after a warm-up and reports throughput and heap growth. */
export async function measure(name, iterations, fn) {
  for (let index = 0; index < Math.min(1_000, iterations); index++) await fn(index);
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  for (let index = 0; index < iterations; index++) await fn(index);
  const elapsedMs = performance.now() - started;
  const heapAfter = process.memoryUsage().heapUsed;
  return {
    name,
    iterations,
    elapsedMs: Number(elapsedMs.toFixed(1)),
    opsPerSecond: Math.round((iterations / elapsedMs) * 1000),
    nsPerOp: Math.round((elapsedMs * 1e6) / iterations),
    heapGrowthBytes: heapAfter - heapBefore,
  };
}
