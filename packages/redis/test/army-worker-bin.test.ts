import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/redis-server.js';

const bin = fileURLToPath(new URL('../bin/army-worker.js', import.meta.url));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HAIKU_ARMY_REDIS_URL: '' },
  });

describe('the army-worker command (built)', () => {
  it('prints its usage with --help', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: army-worker --redis URL');
  });

  it('is a usage error without --redis', () => {
    const result = run();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--redis URL is required');
  });

  it('names a bad --concurrency and an unreachable Redis', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const bad = run('--redis', url, '--concurrency', 'many');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('`concurrency`');
    const down = run('--redis', url);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain(`Redis at ${url}`);
    expect(down.stderr).toContain('unreachable');
  });
});
