import { parseArgs } from 'node:util';
import { startWorker } from './start-worker.js';

const USAGE = `Usage: army-worker --redis URL [--concurrency N] [--base-url URL] [--queue NAME] [--prefix PREFIX]

Runs haiku-army subtasks from a coordinator's BullMQ queue on Redis until stopped (SIGINT/SIGTERM).
  --redis URL        the Redis the coordinator uses (or HAIKU_ARMY_REDIS_URL)
  --concurrency N    subtasks at once in this process (default 16)
  --base-url URL     the Anthropic API base URL (default the SDK's; ANTHROPIC_API_KEY authenticates)
  --queue NAME       the BullMQ queue (default haiku-army)
  --prefix PREFIX    the key prefix (default haiku-army)`;

/** The `army-worker` command: argv without node and the script. Resolves when the worker stopped. */
export async function runWorkerCli(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        redis: { type: 'string' },
        concurrency: { type: 'string' },
        'base-url': { type: 'string' },
        queue: { type: 'string' },
        prefix: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`army-worker: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const url = (values.redis as string | undefined) ?? process.env.HAIKU_ARMY_REDIS_URL;
  if (!url) {
    console.error(`army-worker: --redis URL is required.\n\n${USAGE}`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  const worker = await startWorker({
    url,
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(values['base-url'] ? { baseURL: values['base-url'] as string } : {}),
    ...(values.queue ? { queueName: values.queue as string } : {}),
    ...(values.prefix ? { prefix: values.prefix as string } : {}),
  });
  console.log(`army-worker: taking jobs from ${url.replace(/:[^:@/]*@/, ':***@')}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await worker.close();
  console.log(`army-worker: stopped after ${worker.processed} subtask attempts`);
  return 0;
}

runWorkerCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`army-worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
