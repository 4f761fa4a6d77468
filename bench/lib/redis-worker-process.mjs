// One worker process of the Redis bench: startWorker against the fake API.
// argv: redis URL, base URL, concurrency. Prints `ready`, then on SIGTERM its
// CPU time as JSON and exits.
import { startWorker } from '@haiku-army/redis';

const [url, baseURL, concurrency] = process.argv.slice(2);
const worker = await startWorker({
  url,
  baseURL,
  apiKey: 'bench-key',
  concurrency: Number(concurrency),
});
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  await worker.close();
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ processed: worker.processed, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
  );
  process.exit(0);
});
