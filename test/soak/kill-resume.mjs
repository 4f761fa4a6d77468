// The soak's last phase (issue 13, point 5): the fan-out runs in a child
// process journaling to disk, is killed with SIGKILL `kills` times and
// resumed each time in a new child (soak-child.mjs). The fake API runs in
// this process, so its billing log holds every call of every child. The
// run must end with every subtask done, and no subtask that had finished
// before a kill may be billed again after it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOURNAL_FILE, loadRun } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { subtaskOfRequest } from './soak-items.mjs';

const CHILD = fileURLToPath(new URL('./soak-child.mjs', import.meta.url));
const POLL_MS = 5;

async function until(condition, what, ms = 600_000) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`kill-resume: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** One child process: its run id once printed, and its end (the run's status, or null when killed). */
function startChild(url, journal, mode, runId, settings) {
  const child = spawn(
    process.execPath,
    [CHILD, url, journal, mode, runId ?? '-', JSON.stringify(settings)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const id = (async () => {
    await until(() => /run \S+\n/.test(stdout) || child.exitCode !== null, 'the run id');
    const match = /run (\S+)\n/.exec(stdout);
    if (!match) throw new Error(`kill-resume: the child printed no run id; stderr: ${stderr}`);
    return match[1];
  })();
  const ended = exited.then((code) => {
    if (code === null) return null;
    const match = /end (\S+)\n/.exec(stdout);
    if (code !== 0 || !match)
      throw new Error(`kill-resume: the child failed (exit ${code}): ${stderr.slice(-2000)}`);
    return match[1];
  });
  ended.catch(() => {});
  return { process: child, runId: id, ended };
}

/** The complete records of the run's journal (a torn last line is left out). */
function journalRecords(journal, runId) {
  const path = join(journal, runId, JOURNAL_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (line.length === 0) return [];
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

/** Waits until the calls a killed child left in flight have ended at the fake (and been billed, if they completed). */
async function settle(fake) {
  let seen = -1;
  await until(() => {
    const stable = fake.stats().inFlight === 0 && seen === fake.billing.entries.length;
    seen = fake.billing.entries.length;
    return stable;
  }, 'the fake to finish the killed child’s calls');
  // One more round of quiet, for responses whose sockets closed but whose bill is being written.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Runs the phase and returns its figures; every violated check is pushed
 * onto `violations`.
 */
export async function killResumePhase({
  n,
  concurrency,
  seed,
  faults,
  maxOutputTokens,
  kills = 3,
  violations,
}) {
  const check = (condition, message) => {
    if (!condition) violations.push(`kill-resume: ${message}`);
  };
  const fake = await startFakeAnthropic({ latency: 0, faults, seed: seed + 1 });
  const journal = mkdtempSync(join(tmpdir(), 'haiku-army-soak-'));
  const settings = { n, concurrency, maxOutputTokens };
  // Each child bills about this many calls before it is killed, so the last one has work left.
  const killAfter = Math.max(1, Math.floor(n / (kills + 2)));
  const started = performance.now();
  let running;
  try {
    running = startChild(fake.url, journal, 'start', undefined, settings);
    const runId = await running.runId;
    /** Per child: the billing log's range it was billed in, and what had finished when it died. */
    const processes = [];
    let from = 0;
    for (let kill = 0; kill < kills; kill++) {
      await until(
        () => fake.billing.entries.length - from >= killAfter || running.process.exitCode !== null,
        `child ${kill + 1} to bill ${killAfter} calls`,
      );
      if (running.process.exitCode !== null) {
        check(false, `child ${kill + 1} ended before it could be killed`);
        break;
      }
      running.process.kill('SIGKILL');
      check((await running.ended) === null, `child ${kill + 1} was not killed`);
      await settle(fake);
      const finished = new Set(
        journalRecords(journal, runId)
          .filter((record) => record.type === 'subtask')
          .map((record) => record.result.id),
      );
      processes.push({ from, to: fake.billing.entries.length, finished });
      from = fake.billing.entries.length;
      running = startChild(fake.url, journal, 'resume', runId, settings);
      check((await running.runId) === runId, `child ${kill + 2} resumed another run`);
    }
    const status = await running.ended;
    await settle(fake);
    processes.push({ from, to: fake.billing.entries.length, finished: undefined });
    const makespanMs = Math.round(performance.now() - started);

    const result = await loadRun(runId, { journal });
    const records = journalRecords(journal, runId);
    check(status === 'done', `the resumed run ended ${status}`);
    check(result.status === 'done', `the journal says the run ended ${result.status}`);
    check(result.interrupted !== true, 'the journal says the run was interrupted');
    check(result.subtasks.length === n, `${result.subtasks.length} results for ${n} subtasks`);
    const notDone = result.subtasks.filter((subtask) => subtask.status !== 'done');
    check(notDone.length === 0, `${notDone.length} subtasks not done (${notDone[0]?.id})`);
    const starts = records.filter((record) => record.type === 'run-start').length;
    const ends = records.filter((record) => record.type === 'run-end').length;
    check(starts === kills + 1, `${starts} run-start records for ${kills + 1} processes`);
    check(ends === 1, `${ends} run-end records`);

    // Billed requests traced back to their subtasks.
    const subtaskOf = new Map(
      fake.transcript.entries.map((entry) => [entry.requestId, subtaskOfRequest(entry.body)]),
    );
    const billing = fake.billing.entries;
    let billedAgain = 0;
    for (const [index, { to, finished }] of processes.entries()) {
      if (!finished) continue;
      for (const entry of billing.slice(to)) {
        if (finished.has(subtaskOf.get(entry.requestId))) billedAgain += 1;
      }
      check(finished.size < n, `everything had finished before kill ${index + 1}`);
    }
    check(billedAgain === 0, `${billedAgain} calls billed for subtasks finished before a kill`);

    // The journaled ledger against the bill: every entry billed at its cost;
    // the only calls billed and not journaled are those in flight at a kill.
    // A result-cache reuse (a subtask whose result was cached just before a
    // kill, before its finish reached the journal) is a zero-cost entry marked
    // `reused` with no request behind it: counted apart, never billed.
    const ledgerEntries = records.filter((record) => record.type === 'ledger').map((r) => r.entry);
    const reused = ledgerEntries.filter((entry) => entry.reused === true);
    check(
      reused.every((entry) => entry.cost.total === 0),
      'a reused ledger entry with a cost',
    );
    const journaled = ledgerEntries.filter((entry) => entry.reused !== true);
    const billedById = new Map(billing.map((entry) => [entry.requestId, entry]));
    let mismatched = 0;
    for (const entry of journaled) {
      const bill = billedById.get(entry.requestId);
      if (!bill || bill.cost.total !== entry.cost.total) mismatched += 1;
    }
    check(mismatched === 0, `${mismatched} journaled ledger entries not billed at their cost`);
    const journaledIds = new Set(journaled.map((entry) => entry.requestId));
    const perProcess = processes.map(({ from: start, to, finished }) => {
      const billed = billing.slice(start, to);
      const lost = billed.filter((entry) => !journaledIds.has(entry.requestId));
      return {
        billedCalls: billed.length,
        finishedAtKill: finished?.size,
        unjournaledCalls: lost.length,
        unjournaledNanoUsd: lost.reduce((sum, entry) => sum + entry.cost.total, 0),
      };
    });
    for (const [index, figures] of perProcess.entries())
      check(
        figures.unjournaledCalls <= (index < kills ? concurrency : 0),
        `process ${index + 1}: ${figures.unjournaledCalls} billed calls missing from the journal`,
      );
    const journaledNanoUsd = journaled.reduce((sum, entry) => sum + entry.cost.total, 0);
    const billedNanoUsd = billing.reduce((sum, entry) => sum + entry.cost.total, 0);
    check(
      result.cost.total === journaledNanoUsd,
      `the run's cost ${result.cost.total} != its journaled entries ${journaledNanoUsd}`,
    );
    return {
      status: result.status,
      makespanMs,
      kills: processes.length - 1,
      processes: perProcess,
      subtasks: result.subtasks.reduce((counts, subtask) => {
        counts[subtask.status] = (counts[subtask.status] ?? 0) + 1;
        return counts;
      }, {}),
      billedCalls: billing.length,
      journaledCalls: journaled.length,
      reusedResults: reused.length,
      billedAgainAfterFinish: billedAgain,
      runCostNanoUsd: result.cost.total,
      billedNanoUsd,
      unjournaledNanoUsd: billedNanoUsd - journaledNanoUsd,
    };
  } finally {
    if (running && running.process.exitCode === null && running.process.signalCode === null)
      running.process.kill('SIGKILL');
    await fake.close();
    rmSync(journal, { recursive: true, force: true });
  }
}
