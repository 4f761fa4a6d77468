import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';
import { loadRun, loadRunSummary } from '@haiku-army/orchestrator';
import { renderHtmlReport } from '@haiku-army/report';
import { journalDir, journalLogger } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { toJson } from '../errors.js';
import { renderBill } from '../view/bill.js';
import { money, seconds } from '../view/format.js';
import { subtaskCounts, timestamp } from './runs.js';

/** Flags of `army report`. */
export interface ReportFlags {
  html?: string;
  journal?: string;
  json?: boolean;
}

/**
 * `army report <runId>`: the run from its journal (`loadRun`), as the same
 * bill `army run` prints (the answer, the per-subtask cost table, the
 * totals, the cache hit rate and the saving against the baseline); with
 * `--html FILE` also one self-contained HTML report (`renderHtmlReport`);
 * with `--json` the RunResult. Resolves with the exit code.
 */
export async function reportCommand(
  runId: string,
  flags: ReportFlags,
  io: ResolvedIo,
): Promise<number> {
  const journal = journalDir(flags.journal, io);
  const logger = journalLogger(io);
  const result = await loadRun(runId, { journal, logger });
  const summary = await loadRunSummary(runId, { journal, logger });
  if (flags.html !== undefined) {
    const file = path.resolve(io.cwd, flags.html);
    const title = summary.job;
    try {
      writeFileSync(file, renderHtmlReport(result, { title }));
    } catch (error) {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `Cannot write the HTML report to ${file} (${(error as Error).message}); pass a writable --html FILE.`,
        { cause: error },
      );
    }
    io.err(
      `Wrote the HTML report of run ${runId} to ${file} (one self-contained file; it opens offline).`,
    );
  }
  if (flags.json) {
    io.out(toJson(result));
    return 0;
  }
  const status = result.interrupted ? 'interrupted (its process never ended it)' : result.status;
  const lines = [
    `Run ${runId}: ${status}${result.error ? `: ${result.error.message}` : ''}`,
    `Job: ${summary.job}`,
    `Started ${timestamp(summary.startedAt)}, ${summary.endedAt !== undefined ? `took ${seconds(summary.endedAt - summary.startedAt)}` : 'never ended'}, ${summary.mode} mode, subtasks ${subtaskCounts(summary.subtasks)}, ${money(result.cost.total)}.`,
    '',
    renderBill(result),
  ];
  io.out(lines.join('\n'));
  return 0;
}
