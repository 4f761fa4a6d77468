// The fake Anthropic API in a process of its own (the testing package's
// `fake-anthropic` command), so the benchmarked client's CPU and memory
// figures never include the server's. Its control routes give the requests
// in flight, the bill and its own CPU time.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../packages/testing/bin/fake-anthropic.js', import.meta.url));

/**
 * Starts `fake-anthropic --port 0 ...args` and resolves once it listens.
 * `close()` stops it (SIGTERM) and waits for it to exit.
 */
export async function startFakeProcess(args = []) {
  const child = spawn(process.execPath, [BIN, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) {
        child.stdout.off('data', onData);
        // Keep draining its output so the pipe never fills.
        child.stdout.resume();
        resolve(match[1]);
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`fake-anthropic exited (${code}) before listening: ${seen}`)),
    );
    child.once('error', reject);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    pid: child.pid,
    /** Load, bill and CPU of the server (see FakeServerStats). */
    stats: async () => (await fetch(`${url}/_fake/stats`)).json(),
    /** Clears the fake (bill, transcript, buckets) and its load counts. */
    reset: async () => {
      await (await fetch(`${url}/_fake/reset`, { method: 'POST' })).json();
    },
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
