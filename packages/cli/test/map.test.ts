import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { briefOf, readItems } from '../src/commands/map.js';
import { RUN_FLAGS_FILE } from '../src/run-flags-file.js';
import { army, PACKAGES_DIR, tempDir } from './support/harness.js';

const BRIEF = 'Label the support ticket "{item}" as bug, question or request.';

/** A file of `count` tickets, one per line, with blank lines between some. */
function ticketsFile(count: number): string {
  const file = path.join(tempDir('items'), 'tickets.txt');
  const lines: string[] = [];
  for (let index = 1; index <= count; index++) {
    lines.push(`ticket ${index}: the printer on floor ${index} costs $&1 to fix`);
    if (index % 4 === 0) lines.push('');
  }
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

function resultLines(
  file: string,
): { runId: string; id: string; status: string; calls: number; cost: number }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

/** `army map` over the file in chunks of 10, Ctrl-C once the second chunk is read: the first is done, the third never read. */
async function cancelledMap(
  journal: string,
  items: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  const interrupt = new AbortController();
  const cancelled = await army(
    ['map', items, '--root', PACKAGES_DIR, '--brief', BRIEF, '--chunk', '10', ...extra],
    {
      env: { HAIKU_ARMY_JOURNAL: journal, ...env },
      interrupt: interrupt.signal,
      onStderr: (text) => {
        if ((text.match(/plan {4}round 1: /g)?.length ?? 0) === 2) interrupt.abort();
      },
    },
  );
  expect(cancelled.code).toBe(130);
  return /Cancelled run (\S+) after/.exec(cancelled.stderr)![1]!;
}

describe('army map', () => {
  it('runs one subtask per non-empty line in chunks, batched, with each result appended to --results', async () => {
    const journal = tempDir('journal');
    const items = ticketsFile(25);
    const results = path.join(tempDir('results'), 'labels.jsonl');
    const outcome = await army(
      [
        'map',
        items,
        '--root',
        PACKAGES_DIR,
        '--brief',
        BRIEF,
        '--chunk',
        '10',
        '--chunks-ahead',
        '2',
        '--batch',
        '--results',
        results,
        '--json',
      ],
      { env: { HAIKU_ARMY_JOURNAL: journal } },
    );
    expect(outcome.code).toBe(0);
    const result = JSON.parse(outcome.stdout);
    expect(result.status).toBe('done');
    expect(result.streamed).toBe(true);
    expect(result.counts).toEqual({ done: 25, partial: 0, failed: 0, skipped: 0, cancelled: 0 });
    // One batch per chunk of 10 lines (all three at the API at once: two
    // chunks ahead, so in any order); no line per item on stderr.
    expect(
      outcome.stderr
        .match(/batch {3}\S+ submitted: (\d+) requests/g)!
        .map((line) => Number(/(\d+) requests/.exec(line)![1]))
        .sort((a, b) => a - b),
    ).toEqual([5, 10, 10]);
    expect(outcome.stderr).not.toMatch(/start {3}item-/);
    // Every item once, at the batch tier, and the file's costs add up to the bill.
    const lines = resultLines(results);
    expect(lines.map((line) => line.id).sort()).toEqual(
      Array.from({ length: 25 }, (_, index) => `item-${index + 1}`).sort(),
    );
    expect(lines.every((line) => line.status === 'done')).toBe(true);
    expect(lines.reduce((sum, line) => sum + line.cost, 0)).toBe(result.cost.total);
    expect(result.cost.batchSaving).toBeGreaterThan(0);
    // What `army resume` needs to read the file on is next to the journal.
    const flags = JSON.parse(
      readFileSync(path.join(journal, result.runId, RUN_FLAGS_FILE), 'utf8'),
    );
    expect(flags.map).toMatchObject({
      items,
      brief: BRIEF,
      chunkSize: 10,
      chunksAhead: 2,
      results,
    });
    expect(flags.map.itemsSize).toBe(readFileSync(items).length);
  });

  it('reads the non-empty lines as written (CR dropped) and puts each into the brief as is', async () => {
    const read: string[] = [];
    for await (const item of readItems(ticketsFile(5))) read.push(item);
    expect(read).toEqual(
      Array.from(
        { length: 5 },
        (_, index) => `ticket ${index + 1}: the printer on floor ${index + 1} costs $&1 to fix`,
      ),
    );
    expect(briefOf(BRIEF)(read[0]!)).toBe(
      'Label the support ticket "ticket 1: the printer on floor 1 costs $&1 to fix" as bug, question or request.',
    );
    expect(briefOf('{item} / {item}')('a$1')).toBe('a$1 / a$1');
  });

  it('prints the counts and a bill whose Subtasks row is what the items cost', async () => {
    const results = path.join(tempDir('results'), 'labels.jsonl');
    const outcome = await army([
      'map',
      ticketsFile(6),
      '--root',
      PACKAGES_DIR,
      '--brief',
      BRIEF,
      '--results',
      results,
    ]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^Items: 6 done \(each result is in the journal/);
    const row = (label: string) =>
      new RegExp(`^${label}\\s.*?(\\d+) calls?\\s+\\$(\\d+\\.\\d{6})$`, 'm').exec(outcome.stdout);
    const subtasks = row('Subtasks')!;
    expect(outcome.stdout).toMatch(/^Subtasks +6 subtasks/m);
    // The row adds up what each item's result says it took.
    const lines = resultLines(results);
    expect(Number(subtasks[1])).toBe(lines.reduce((sum, line) => sum + line.calls, 0));
    expect(subtasks[2]).toBe((lines.reduce((sum, line) => sum + line.cost, 0) / 1e9).toFixed(6));
    expect(row('Total')![2]).toBe(subtasks[2]);
  });

  it('is resumed by `army resume`, which reads the same file on without running a finished item again', async () => {
    const journal = tempDir('journal');
    const items = ticketsFile(30);
    const results = path.join(tempDir('results'), 'labels.jsonl');
    const runId = await cancelledMap(journal, items, ['--results', results]);
    const before = resultLines(results);
    expect(before.every((line) => line.status === 'done')).toBe(true);
    expect(before.length).toBeGreaterThanOrEqual(10);
    expect(before.length).toBeLessThan(30);

    const resumed = await army(['resume', runId, '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout);
    expect(result.status).toBe('done');
    expect(result.counts.done).toBe(30);
    const done = resultLines(results);
    // Each item finished once over both executions, its result appended once (a cancelled one is not written).
    expect(done.every((line) => line.status === 'done' && line.runId === runId)).toBe(true);
    expect(done.map((line) => line.id).sort()).toEqual(
      Array.from({ length: 30 }, (_, index) => `item-${index + 1}`).sort(),
    );
  });

  it('refuses a --brief without {item}, a missing items file and a resumed map whose file is gone, saying what to pass', async () => {
    const noPlaceholder = await army([
      'map',
      ticketsFile(2),
      '--root',
      '.',
      '--brief',
      'Label it.',
    ]);
    expect(noPlaceholder.code).toBe(2);
    expect(noPlaceholder.stderr).toMatch(/--brief "Label it\." has no \{item\}/);
    const noBrief = await army(['map', ticketsFile(2), '--root', '.']);
    expect(noBrief.code).toBe(2);
    expect(noBrief.stderr).toMatch(/Missing --brief/);
    const rounds = await army([
      'map',
      ticketsFile(2),
      '--root',
      '.',
      '--brief',
      BRIEF,
      '--rounds',
      '2',
    ]);
    expect(rounds.code).toBe(2);
    expect(rounds.stderr).toMatch(/`army map` has no planner/);
    const noFile = await army(['map', 'no-such-file.txt', '--root', '.', '--brief', BRIEF]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/The items file "no-such-file.txt" is not a file/);

    const journal = tempDir('journal');
    const items = ticketsFile(30);
    const runId = await cancelledMap(journal, items);
    rmSync(items);
    const resumed = await army(['resume', runId], { env: { HAIKU_ARMY_JOURNAL: journal } });
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(/maps the lines of .*tickets\.txt, which is no longer a file/);
  });

  it('writes on resume the kept results a crash left out of the results file', async () => {
    const journal = tempDir('journal');
    const items = ticketsFile(30);
    const results = path.join(tempDir('results'), 'labels.jsonl');
    const runId = await cancelledMap(journal, items, ['--results', results]);
    // As if the process died after the journal had these results and before the file did.
    const written = readFileSync(results, 'utf8').split('\n').filter(Boolean);
    expect(written.length).toBeGreaterThanOrEqual(10);
    writeFileSync(results, `${written.slice(0, 4).join('\n')}\n{"runId":"${runId}","id":"item-`);
    const resumed = await army(['resume', runId], { env: { HAIKU_ARMY_JOURNAL: journal } });
    expect(resumed.code).toBe(0);
    const lines = readFileSync(results, 'utf8').split('\n').filter(Boolean);
    const ids = lines.slice(4).flatMap((line) => {
      try {
        return [JSON.parse(line).id as string];
      } catch {
        return [];
      }
    });
    expect([...lines.slice(0, 4).map((line) => JSON.parse(line).id), ...ids].sort()).toEqual(
      Array.from({ length: 30 }, (_, index) => `item-${index + 1}`).sort(),
    );
  });

  it('refuses a results path it cannot write before anything runs, and a resume over a changed items file', async () => {
    const journal = tempDir('journal');
    const unwritable = await army(
      ['map', ticketsFile(3), '--root', '.', '--brief', BRIEF, '--results', '/no/such/dir/x.jsonl'],
      { env: { HAIKU_ARMY_JOURNAL: journal } },
    );
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(
      /^army: Cannot open the results file \/no\/such\/dir\/x\.jsonl/,
    );
    expect(unwritable.stderr).not.toMatch(/offline:/);

    const items = ticketsFile(30);
    const runId = await cancelledMap(journal, items);
    writeFileSync(items, `new first line\n${readFileSync(items, 'utf8')}`);
    const resumed = await army(['resume', runId], { env: { HAIKU_ARMY_JOURNAL: journal } });
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(/which changed since the run started/);
  });
  it('stops resumably when the results file cannot be written mid-run, and the resume fills it in', async () => {
    const journal = tempDir('journal');
    const items = ticketsFile(30);
    // A results path on a full disk: every write fails with ENOSPC once the file is open.
    const results = path.join(tempDir('results'), 'labels.jsonl');
    symlinkSync('/dev/full', results);
    const full = await army(
      [
        'map',
        items,
        '--root',
        PACKAGES_DIR,
        '--brief',
        BRIEF,
        '--chunk',
        '10',
        '--results',
        results,
      ],
      { env: { HAIKU_ARMY_JOURNAL: journal } },
    );
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/run +ended cancelled/);
    const runId = /Cancelled run (\S+) after/.exec(full.stderr)![1]!;
    expect(full.stderr).toMatch(
      new RegExp(
        `writing the results file .*labels\\.jsonl failed \\(ENOSPC.*army resume ${runId}\``,
      ),
    );
    // Room again: the resume appends every result the file lacks and runs the rest.
    rmSync(results);
    const resumed = await army(['resume', runId, '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).counts.done).toBe(30);
    expect(
      resultLines(results)
        .map((line) => line.id)
        .sort(),
    ).toEqual(Array.from({ length: 30 }, (_, index) => `item-${index + 1}`).sort());
  });

  it('resumes a map that read its whole file without the file, and keeps --no-cache', async () => {
    const journal = tempDir('journal');
    // A cache folder named, as a user's would be: only --no-cache keeps it empty.
    const cache = path.join(tempDir('cache'), 'results');
    const env = { HAIKU_ARMY_JOURNAL: journal, HAIKU_ARMY_CACHE: cache };
    // 15 lines in chunks of 10: the second chunk ends the file.
    const items = ticketsFile(15);
    const runId = await cancelledMap(journal, items, ['--no-cache'], env);
    const flags = JSON.parse(readFileSync(path.join(journal, runId, RUN_FLAGS_FILE), 'utf8'));
    expect(flags.cache).toBe(false);
    rmSync(items);
    const resumed = await army(['resume', runId, '--json'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).counts.done).toBe(15);
    // Neither execution stored a cached result.
    expect(existsSync(cache)).toBe(false);
  });
  it('appends on resume what the results file lacks, even when that write fails first or the run had ended', async () => {
    const journal = tempDir('journal');
    const env = { HAIKU_ARMY_JOURNAL: journal };
    const items = ticketsFile(30);
    const results = path.join(tempDir('results'), 'labels.jsonl');
    const runId = await cancelledMap(journal, items, ['--results', results]);
    const written = resultLines(results).length;
    // The disk fills up before the resume: its first writes (the repair) fail.
    rmSync(results);
    symlinkSync('/dev/full', results);
    const full = await army(['resume', runId], { env });
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/writing the results file .*labels\.jsonl failed \(ENOSPC/);
    // It ran nothing on: the run stays resumable.
    expect(full.stderr).not.toMatch(/ended done/);
    rmSync(results);
    const resumed = await army(['resume', runId], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming run/);
    const all = Array.from({ length: 30 }, (_, index) => `item-${index + 1}`).sort();
    expect(
      resultLines(results)
        .map((line) => line.id)
        .sort(),
    ).toEqual(all);
    expect(written).toBeGreaterThanOrEqual(10);
    // The run has ended: a resume only completes the file (here, after losing its last lines).
    const lines = readFileSync(results, 'utf8').split('\n').filter(Boolean);
    writeFileSync(results, `${lines.slice(0, 20).join('\n')}\n`);
    const ended = await army(['resume', runId], { env });
    expect(ended.code).toBe(0);
    expect(ended.stderr).toMatch(/already ended done[\s\S]*Appended 10 results the results file/);
    expect(
      resultLines(results)
        .map((line) => line.id)
        .sort(),
    ).toEqual(all);
  });
});
