import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../fixtures/worker-process.mjs', import.meta.url));

/** A worker process (`startWorker` from the built package) against a fake API. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once it exited. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/** Starts `count` worker processes and waits until each takes jobs. */
export async function startWorkerProcesses(
  count: number,
  options: { redisUrl: string; baseURL: string; concurrency: number },
): Promise<WorkerProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(
        process.execPath,
        [script, options.redisUrl, options.baseURL, String(options.concurrency)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`worker process exited (${code})`)));
      });
      return {
        child,
        exited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
        },
      };
    }),
  );
}
