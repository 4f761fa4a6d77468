import { listRuns, type RunSummary } from '@haiku-army/orchestrator';
import { journalDir, journalLogger } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { RUNS_JOB_CHARS } from '../constants.js';
import { toJson } from '../errors.js';
import { clip, money, plural, seconds, table } from '../view/format.js';

/** Flags of `army runs`. */
export interface RunsFlags {
  journal?: string;
  json?: boolean;
}

/** Statuses `army resume` goes on from (the others ended on their own). */
const RESUMABLE: ReadonlySet<string> = new Set(['interrupted', 'cancelled', 'budget_exceeded']);

/** A moment as `2026-12-02 10:17:09Z` (UTC, to the second). */
export function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `done/total`, and what did not finish well when something did not. */
export function subtaskCounts(subtasks: RunSummary['subtasks']): string {
  const finished = subtasks.done + subtasks.partial;
  const others = [
    subtasks.partial > 0 ? `${subtasks.partial} partial` : '',
    subtasks.failed > 0 ? `${subtasks.failed} failed` : '',
    subtasks.skipped > 0 ? `${subtasks.skipped} skipped` : '',
    subtasks.cancelled > 0 ? `${subtasks.cancelled} cancelled` : '',
    subtasks.unfinished > 0 ? `${subtasks.unfinished} unfinished` : '',
  ].filter(Boolean);
  return `${finished}/${subtasks.total}${others.length > 0 ? ` (${others.join(', ')})` : ''}`;
}

/**
 * `army runs`: the journal's runs, newest first: id, status (`interrupted`
 * for one whose process never ended it), start, duration, cost, subtasks
 * done of total, mode and job. Resolves with the exit code.
 */
export async function runsCommand(flags: RunsFlags, io: ResolvedIo): Promise<number> {
  const journal = journalDir(flags.journal, io);
  const runs = await listRuns({ journal, logger: journalLogger(io) });
  if (flags.json) {
    io.out(toJson({ journal, runs }));
    return 0;
  }
  if (runs.length === 0) {
    io.out(
      `No runs journaled in ${journal} yet; \`army run "<job>" --root DIR\` journals one there (or pass --journal DIR).`,
    );
    return 0;
  }
  io.out(
    table(
      ['run', 'status', 'started', 'took', 'cost', 'subtasks', 'mode', 'job'],
      runs.map((run) => [
        run.runId,
        run.status,
        timestamp(run.startedAt),
        run.endedAt !== undefined ? seconds(run.endedAt - run.startedAt) : '-',
        money(run.cost),
        subtaskCounts(run.subtasks),
        run.mode,
        clip(run.job, RUNS_JOB_CHARS),
      ]),
      ['left', 'left', 'left', 'right', 'right', 'right', 'left', 'left'],
    ),
  );
  const open = runs.filter((run) => RESUMABLE.has(run.status));
  io.out(
    `${plural(runs.length, 'run')} in ${journal}.${open.length > 0 ? ` Continue an interrupted, cancelled or budget-stopped one with: army resume <run>.` : ''} Details: army report <run>.`,
  );
  return 0;
}
