import { formatUsd, type NanoUsd } from '@haiku-army/core';
import Table from 'cli-table3';

/** Dollars with six decimals, the precision worker calls need. */
export function money(nano: NanoUsd): string {
  return formatUsd(nano, { digits: 6 });
}

/** A ratio as a percentage with one decimal. */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** `n thing` / `n things`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** Seconds with one decimal. */
export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** Shortens text to `max` characters on one line. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s*[\r\n\t]+\s*/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/** A table with box borders and no colours (the same bytes on a terminal and in a pipe). */
export function table(head: string[], rows: string[][], align: ('left' | 'right')[] = []): string {
  const out = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, index) => align[index] ?? 'left'),
  });
  for (const row of rows) out.push(row);
  return out.toString();
}

/** Lines of label/value columns padded to align, no borders (so `Total ...` starts its line). */
export function columns(rows: string[][], align: ('left' | 'right')[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, index) =>
        (align[index] ?? 'left') === 'right'
          ? cell.padStart(widths[index]!)
          : cell.padEnd(widths[index]!),
      )
      .join('  ')
      .trimEnd(),
  );
}

/** How many subtasks a streamed map's counts cover (every status). */
export function countsTotal(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
