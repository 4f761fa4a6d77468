import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeAnthropicServer, reply, startFakeAnthropic } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';

// Issue 15 point 6: a batch-mode army.map over 100,000 items read from a file
// stream, in chunks, in a child process (the fake runs here, over HTTP, so its
// billing log outlives the child), with its peak RSS reported by the child.
const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/batch-map-child.mjs', import.meta.url));
const MB = 1024 * 1024;
/**
 * Items per chunk (one batch each): the chunk size is the knob that bounds a
 * batch map's memory. The child runs with Node's default heap limit (sized to
 * the machine: 4 GB on this 24 GB one, so V8 collects lazily and RSS carries
 * its garbage as well as the live heap); bench/README.md has the figures per
 * chunk size, with and without a heap cap. With `keepResults: false`, a chunk
 * in flight holds about 4 kB per item and a finished item about 0.3 kB (its
 * ledger entry, kept in columns).
 */
const CHUNK = 1_000;

let fake: FakeAnthropicServer | undefined;
let processes: ChildProcess[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const spawned of processes) if (spawned.exitCode === null) spawned.kill('SIGKILL');
  processes = [];
  await fake?.close();
  fake = undefined;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'batch-map-scale-'));
  dirs.push(dir);
  return dir;
}

/** One ticket per line. */
function itemsFile(dir: string, count: number): string {
  const path = join(dir, 'items.txt');
  const lines: string[] = [];
  for (let index = 0; index < count; index++) lines.push(`T${index}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function startFake(): Promise<FakeAnthropicServer> {
  return startFakeAnthropic({
    batchProcessingMs: 10,
    defaultResponder: () => reply.text('label: printer'),
  });
}

interface Ended {
  status: string;
  subtasks: number;
  done: number;
  ledger: number;
  rss: number;
}

interface Child {
  process: ChildProcess;
  runId: Promise<string>;
  ended: Promise<Ended | null>;
}

async function until(check: () => boolean, what: string, ms = 80_000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > ms) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function startChild(
  journal: string,
  file: string,
  mode: 'start' | 'resume',
  runId: string | undefined,
  chunkSize: number,
): Child {
  const spawned = spawn(
    process.execPath,
    // No heap flag: the bound holds with the limit Node picks for itself.
    [child, fake!.url, journal, file, mode, runId ?? '-', String(chunkSize)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  processes.push(spawned);
  let stdout = '';
  let stderr = '';
  spawned.stdout!.on('data', (chunk) => {
    stdout += String(chunk);
  });
  spawned.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', resolve));
  const id = (async () => {
    await until(() => /run \S+\n/.test(stdout) || spawned.exitCode !== null, 'the run id');
    const match = /run (\S+)\n/.exec(stdout);
    if (!match) throw new Error(`The child printed no run id; stderr: ${stderr}`);
    return match[1]!;
  })();
  const ended = exited.then((code) => {
    if (code === null) return null;
    const match = /end (\S+) (\d+) (\d+) (\d+) (\d+)\n/.exec(stdout);
    if (code !== 0 || !match) throw new Error(`The child failed (${code}): ${stderr}`);
    return {
      status: match[1]!,
      subtasks: Number(match[2]),
      done: Number(match[3]),
      ledger: Number(match[4]),
      rss: Number(match[5]),
    };
  });
  ended.catch(() => {});
  return { process: spawned, runId: id, ended };
}

/** The `type` of each complete journal line (a torn one is left out). */
function journalTypes(journal: string, runId: string): string[] {
  const path = join(journal, runId, 'journal.jsonl');
  if (!existsSync(path)) return [];
  return [...readFileSync(path, 'utf8').matchAll(/^\{"type":"([a-z-]+)"/gm)].map((m) => m[1]!);
}

/** Every custom id the fake was sent in a batch, and how many times. */
function submittedCustomIds(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of fake!.transcript.entries)
    if (entry.source === 'batch' && entry.customId !== undefined)
      counts.set(entry.customId, (counts.get(entry.customId) ?? 0) + 1);
  return counts;
}

describe('a 100,000-item batch map (issue 15 point 6)', () => {
  it('completes in chunks with the client under 400 MB peak RSS, every item billed once at the batch tier', async () => {
    fake = await startFake();
    const dir = tempDir();
    const items = 100_000;
    const running = startChild(join(dir, 'runs'), itemsFile(dir, items), 'start', undefined, CHUNK);
    const runId = await running.runId;
    const ended = (await running.ended)!;
    expect(ended).toMatchObject({ status: 'done', subtasks: items, done: items });
    expect(ended.rss, `peak RSS ${Math.round(ended.rss / MB)} MB`).toBeLessThan(400 * MB);
    const types = journalTypes(join(dir, 'runs'), runId);
    expect(types.filter((type) => type === 'chunk')).toHaveLength(items / CHUNK);
    expect(types.filter((type) => type === 'batch')).toHaveLength(items / CHUNK);
    const bills = fake.billing.entries;
    expect(bills).toHaveLength(items);
    expect(bills.every((bill) => bill.usage.service_tier === 'batch')).toBe(true);
    expect(new Set(bills.map((bill) => bill.customId)).size).toBe(items);
    expect(ended.ledger).toBe(fake.billing.total());
  }, 150_000);

  it('resumes after a SIGKILL between chunks without resubmitting a chunk', async () => {
    fake = await startFake();
    const dir = tempDir();
    const journal = join(dir, 'runs');
    const items = 12_000;
    const file = itemsFile(dir, items);
    const first = startChild(journal, file, 'start', undefined, 3_000);
    const runId = await first.runId;
    // Killed once chunk 2's batch id is journaled: chunk 1 done, chunk 2 submitted.
    await until(
      () => journalTypes(journal, runId).filter((type) => type === 'batch').length >= 2,
      "chunk 2's batch record",
    );
    first.process.kill('SIGKILL');
    expect(await first.ended).toBe(null);
    const before = journalTypes(journal, runId);
    expect(before.filter((type) => type === 'chunk').length).toBeGreaterThanOrEqual(2);
    expect(before).not.toContain('run-end');

    const second = startChild(journal, file, 'resume', runId, 3_000);
    const ended = (await second.ended)!;
    expect(ended).toMatchObject({ status: 'done', subtasks: items, done: items });
    // One batch create per chunk over both processes: none was sent again.
    const creates = fake.transcript.entries.filter(
      (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
    );
    expect(creates).toHaveLength(4);
    const submitted = submittedCustomIds();
    expect(submitted.size).toBe(items);
    expect([...submitted.values()].every((count) => count === 1)).toBe(true);
    const after = journalTypes(journal, runId);
    expect(after.filter((type) => type === 'chunk')).toHaveLength(4);
    expect(after.filter((type) => type === 'batch')).toHaveLength(4);
    expect(fake.billing.entries).toHaveLength(items);
    expect(ended.ledger).toBe(fake.billing.total());
  }, 90_000);
});
