import type { NanoUsd } from '@haiku-army/core';
import { BUDGET_BAR_WIDTH, LIVE_VIEW_TOP_SUBTASKS } from '../constants.js';
import { clip, money, percent, plural, seconds } from './format.js';
import type { RunProgress } from './run-progress.js';

/** What the live view shows besides the run's events. */
export interface LiveViewState {
  runId: string;
  job: string;
  mode: string;
  elapsedMs: number;
  inFlight: number;
  /** The run's cap, nano-USD. */
  budget?: NanoUsd;
  /** Terminal width. @default 80 */
  width?: number;
  /** Set once Ctrl-C was pressed. */
  cancelling?: boolean;
}

/** A bar of `width` cells filled to `ratio` (clamped to [0, 1]). */
export function bar(ratio: number, width = BUDGET_BAR_WIDTH): string {
  const filled = Math.round(Math.min(1, Math.max(0, ratio)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/**
 * The frame the live view redraws in place: subtasks by state, calls in
 * flight, retries, the cost so far against the budget as a bar, and the
 * most expensive subtasks. Plain text (log-update draws it).
 */
export function renderLiveView(progress: RunProgress, state: LiveViewState): string {
  const width = Math.max(40, state.width ?? 80);
  const lines: string[] = [];
  lines.push(
    clip(
      `haiku-army  run ${state.runId.slice(0, 8)}  ${state.mode}  ${seconds(state.elapsedMs)}`,
      width,
    ),
  );
  lines.push(clip(`job        ${state.job}`, width));
  const total = Math.max(progress.planned, progress.known);
  lines.push(
    total === 0
      ? 'subtasks   planning…'
      : `subtasks   ${total} · ${progress.count('queued')} queued · ${progress.count('running')} running · ${progress.count('done', 'partial')} done · ${progress.count('failed')} failed${progress.count('skipped', 'cancelled') > 0 ? ` · ${progress.count('skipped', 'cancelled')} skipped` : ''}`,
  );
  lines.push(
    `calls      ${state.inFlight} in flight · ${progress.callsEnded} ended · ${plural(progress.retries, 'retry', 'retries')}${progress.escalations > 0 ? ` · ${plural(progress.escalations, 'escalation')}` : ''}${progress.batchRequestsOpen > 0 ? ` · ${progress.batchRequestsOpen} in batches` : ''}`,
  );
  if (state.budget !== undefined && state.budget > 0) {
    const ratio = progress.cost / state.budget;
    lines.push(
      `cost       ${money(progress.cost)} ${bar(ratio)} ${percent(ratio)} of ${money(state.budget)}`,
    );
  } else lines.push(`cost       ${money(progress.cost)} (no --budget)`);
  const top = progress.top(LIVE_VIEW_TOP_SUBTASKS);
  if (top.length > 0)
    lines.push(
      clip(
        `top cost   ${top.map((subtask) => `${subtask.id} ${money(subtask.cost)}`).join(' · ')}`,
        width,
      ),
    );
  if (progress.budget && progress.budget.level !== 'warning')
    lines.push(
      `budget     ${progress.budget.level}: ${money(progress.budget.spent)} spent of ${money(progress.budget.limit)}`,
    );
  if (state.cancelling)
    lines.push('Ctrl-C: cancelling, keeping what finished (Ctrl-C again to quit at once)…');
  return lines.join('\n');
}
