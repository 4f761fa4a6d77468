import type { LedgerEntry } from './ledger-entry.js';

const COLUMNS = [
  'id',
  'timestamp',
  'runId',
  'taskId',
  'parentTaskId',
  'role',
  'model',
  'attempt',
  'tags',
  'inputTokens',
  'outputTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'cacheReadTokens',
  'serviceTier',
  'costInputNano',
  'costOutputNano',
  'costCacheWriteNano',
  'costCacheReadNano',
  'costTotalNano',
  'latencyMs',
  'retries',
  'outcome',
  'requestId',
  'batchId',
] as const;

/** Quotes a CSV field per RFC 4180 when it needs it. */
function field(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Serializes entries as RFC 4180 CSV with a header row; money columns in nano-USD. */
export function entriesToCsv(entries: readonly LedgerEntry[]): string {
  const rows = [COLUMNS.join(',')];
  for (const entry of entries) {
    const values = [
      entry.id,
      new Date(entry.timestamp).toISOString(),
      entry.runId,
      entry.taskId,
      entry.parentTaskId,
      entry.role,
      entry.model,
      entry.attempt,
      entry.tags.join(';'),
      entry.usage.inputTokens,
      entry.usage.outputTokens,
      entry.usage.cacheWrite5mTokens,
      entry.usage.cacheWrite1hTokens,
      entry.usage.cacheReadTokens,
      entry.usage.serviceTier,
      entry.cost.input,
      entry.cost.output,
      entry.cost.cacheWrite,
      entry.cost.cacheRead,
      entry.cost.total,
      entry.latencyMs,
      entry.retries,
      entry.outcome,
      entry.requestId,
      entry.batchId,
    ];
    rows.push(values.map(field).join(','));
  }
  return `${rows.join('\n')}\n`;
}
