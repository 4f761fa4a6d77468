import type { ArmyStreamEvent } from '@haiku-army/orchestrator';
import { clip, money, percent, plural, seconds } from './format.js';

/** Longest reason or job quoted in an event line, characters. */
const REASON_CHARS = 120;

/**
 * One line per event, for a log or a pipe (not a terminal): `+1.2s  <what>`.
 * Returns `undefined` for events not worth a line.
 */
export function eventLine(event: ArmyStreamEvent, elapsedMs: number): string | undefined {
  const text = describe(event);
  return text === undefined ? undefined : `+${seconds(elapsedMs).padStart(6)}  ${text}`;
}

function describe(event: ArmyStreamEvent): string | undefined {
  switch (event.type) {
    case 'run:start':
      return `run ${event.runId} started: ${clip(String(event.job ?? ''), REASON_CHARS)}`;
    case 'plan:ready': {
      const plan = event.plan as { round?: number; subtasks?: { id: string }[] } | undefined;
      const ids = (plan?.subtasks ?? []).map((subtask) => subtask.id);
      return `plan    round ${plan?.round ?? 1}: ${plural(ids.length, 'subtask')} (${clip(ids.join(', '), REASON_CHARS)})`;
    }
    case 'task:queued':
      return `queued  ${event.taskId}`;
    case 'task:start':
      return `start   ${event.taskId}${event.model ? ` on ${event.model}` : ''}`;
    case 'task:escalate':
      return `escalate ${event.taskId}: ${event.from} -> ${event.to} (${clip(event.reason, REASON_CHARS)})`;
    case 'task:end': {
      const why =
        event.code || event.reason
          ? ` ${clip([event.code, event.reason].filter(Boolean).join(': '), REASON_CHARS)}`
          : '';
      return `${event.status.padEnd(7)} ${event.taskId}${event.model ? ` on ${event.model}` : ''} ${money(event.cost)}${event.status === 'done' ? '' : why}`;
    }
    case 'call:retry':
      return `retry   ${event.attribution.taskId} (${event.model}) attempt ${event.attempt} failed: ${clip(event.reason, REASON_CHARS)}; again in ${event.delayMs} ms`;
    case 'call:end': {
      const { attribution } = event;
      return `call    ${attribution.role} ${attribution.taskId} ${event.model} ${event.outcome} ${money(event.cost?.total ?? 0)} ${event.latencyMs} ms`;
    }
    case 'budget:warning':
    case 'budget:critical':
    case 'budget:exceeded': {
      const level = event.type.slice('budget:'.length);
      const share = event.limit > 0 ? ` (${percent(event.committed / event.limit)})` : '';
      return `budget  ${level}: ${event.scope} ${event.key} committed ${money(event.committed)} of ${money(event.limit)}${share}`;
    }
    case 'run:end':
      return `run     ended ${event.status}, ${money(event.cost)}${event.error ? `: ${clip(event.error.message, REASON_CHARS)}` : ''}`;
    default:
      return undefined;
  }
}
