import { formatUsd } from '@haiku-army/core';
import { startFakeAnthropic } from '@haiku-army/testing';
import type { ResolvedIo } from '../cli-io.js';
import { offlineResponders } from '../connection.js';

/** Flags of `army mock`. */
export interface MockFlags {
  port: number;
  host: string;
  seed?: number;
  /** Time to first byte, ms, every model. */
  latency?: number;
  perTokenMs?: number;
  /** Total random fault probability, spread over 429, 529, 500 and dropped connections. */
  faultRate?: number;
  rpm?: number;
  itpm?: number;
  otpm?: number;
  batchProcessingMs?: number;
  /** false (`--plain`): every request gets the one simulated sentence, no simulated army. */
  simulate: boolean;
}

/**
 * `army mock`: serves the fake Anthropic API over HTTP, with the simulated
 * planner and workers the offline `army run` uses, until interrupted.
 * Resolves with the exit code once it stopped.
 */
export async function mockCommand(flags: MockFlags, io: ResolvedIo): Promise<number> {
  const faultRate = flags.faultRate ?? 0;
  const defaultLimits: { rpm?: number; itpm?: number; otpm?: number } = {};
  for (const name of ['rpm', 'itpm', 'otpm'] as const)
    if (flags[name] !== undefined) defaultLimits[name] = flags[name];
  const server = await startFakeAnthropic({
    port: flags.port,
    host: flags.host,
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.batchProcessingMs !== undefined
      ? { batchProcessingMs: flags.batchProcessingMs }
      : {}),
    latency: {
      ...(flags.latency !== undefined ? { firstByte: flags.latency } : {}),
      perOutputTokenMs: flags.perTokenMs ?? 0,
    },
    ...(faultRate > 0
      ? {
          faults: {
            rateLimit: faultRate * 0.4,
            overloaded: faultRate * 0.3,
            serverError: faultRate * 0.2,
            disconnect: faultRate * 0.1,
          },
        }
      : {}),
    defaultLimits,
    ...(flags.simulate ? offlineResponders() : {}),
  });
  io.out(`Fake Anthropic API listening on ${server.url}`);
  io.err(
    `Point army (or any SDK) at it: ANTHROPIC_BASE_URL=${server.url} ANTHROPIC_API_KEY=test-key army run "<job>" --root .`,
  );
  io.err('Stop it with Ctrl-C.');
  await new Promise<void>((resolve) => {
    if (io.interrupt.aborted) resolve();
    else io.interrupt.addEventListener('abort', () => resolve(), { once: true });
  });
  const billed = server.billing.entries.length;
  await server.close();
  io.err(
    `Stopped: billed ${billed} responses, ${formatUsd(server.billing.total(), { digits: 6 })}.`,
  );
  return 0;
}
