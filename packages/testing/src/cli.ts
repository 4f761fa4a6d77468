import { parseArgs } from 'node:util';
import { invalidOption } from '@haiku-army/core';
import { createDemoResponders } from './behaviours/demo-responders.js';
import type { FaultOptions } from './faults.js';
import { type FakeAnthropicServer, startFakeAnthropic } from './start-fake-anthropic.js';

const USAGE = `Usage: fake-anthropic [options]

Serves the fake Anthropic API on 127.0.0.1 with the simulated demo behaviours
(planner, worker, synthesizer). Stop with Ctrl-C.

Options:
  --port <n>               port (0 = any free port)           default 8787
  --host <address>         interface to bind                  default 127.0.0.1
  --seed <n>               seed for faults and latency        default 1
  --latency-ms <n>         fixed time to first byte, ms
                           default 60/70/80 (haiku/sonnet/opus)
  --per-token-ms <n>       extra ms per output token          default 0
  --fault-rate <p>         total random fault probability, spread over
                           429, 529, 500 and dropped connections   default 0
  --rpm <n> --itpm <n> --otpm <n>   limits for every model
  --batch-processing-ms <n>         time until a batch ends   default 50
  --no-demo                answer every request with one simulated sentence
  --help                   show this text`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw invalidOption(`--${name}`, 'a number', value);
  return parsed;
}

/**
 * Runs the `fake-anthropic` command. Resolves once the server is listening
 * (with `undefined` for `--help`); SIGINT or SIGTERM stop it and exit.
 */
export async function runCli(
  argv: readonly string[],
  log: (line: string) => void = console.log,
): Promise<{ server: FakeAnthropicServer; close(): Promise<void> } | undefined> {
  const { values } = parseArgs({
    args: argv.filter((argument) => argument !== '--'),
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'latency-ms': { type: 'string' },
      'per-token-ms': { type: 'string' },
      'fault-rate': { type: 'string' },
      rpm: { type: 'string' },
      itpm: { type: 'string' },
      otpm: { type: 'string' },
      'batch-processing-ms': { type: 'string' },
      'no-demo': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    log(USAGE);
    return undefined;
  }
  const faultRate = number('fault-rate', values['fault-rate']) ?? 0;
  const faults: FaultOptions =
    faultRate > 0
      ? {
          rateLimit: faultRate * 0.4,
          overloaded: faultRate * 0.3,
          serverError: faultRate * 0.2,
          disconnect: faultRate * 0.1,
        }
      : {};
  const defaultLimits: { rpm?: number; itpm?: number; otpm?: number } = {};
  for (const name of ['rpm', 'itpm', 'otpm'] as const) {
    const value = number(name, values[name]);
    if (value !== undefined) defaultLimits[name] = value;
  }
  const seed = number('seed', values.seed);
  const firstByte = number('latency-ms', values['latency-ms']);
  const batchProcessingMs = number('batch-processing-ms', values['batch-processing-ms']);
  const server = await startFakeAnthropic({
    port: number('port', values.port) ?? 8787,
    host: values.host ?? '127.0.0.1',
    ...(seed !== undefined ? { seed } : {}),
    ...(batchProcessingMs !== undefined ? { batchProcessingMs } : {}),
    latency: {
      ...(firstByte !== undefined ? { firstByte } : {}),
      perOutputTokenMs: number('per-token-ms', values['per-token-ms']) ?? 0,
    },
    faults,
    defaultLimits,
    ...(values['no-demo'] ? {} : createDemoResponders()),
  });
  log(`Fake Anthropic API listening on ${server.url}`);
  log(`Point the SDK at it: new Anthropic({ apiKey: 'test-key', baseURL: '${server.url}' })`);
  log(`or set ANTHROPIC_BASE_URL=${server.url} ANTHROPIC_API_KEY=test-key`);
  const onSignal = (signal: NodeJS.Signals) => {
    log(
      `\n${signal}: billed ${server.billing.entries.length} responses, ${server.billing.total()} nano-USD. Stopping.`,
    );
    void close().then(() => process.exit(0));
  };
  const close = async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { server, close };
}
