import type { EvalLine } from './eval-command.js';

const percent = (value: number | undefined) =>
  value === undefined ? '' : `${(value * 100).toFixed(1)}%`;
const fixed = (value: number | undefined) => (value === undefined ? '' : value.toFixed(3));

/** A plain-text table of one data set's eval lines (Markdown-compatible). */
export function formatTable(dataset: string, lines: readonly EvalLine[]): string {
  const header = [
    'policy',
    'evaluated',
    'strong calls',
    'quality',
    'quality retained',
    'cost saved',
    'random at same cost',
    'APGR',
    'CPT(50%)',
    'CPT(80%)',
  ];
  const rows = lines.map((item) => [
    item.policy,
    item.evaluation,
    percent(item.strongShare),
    fixed(item.quality),
    percent(item.qualityRetained),
    percent(item.costSaved),
    fixed(item.randomQuality),
    fixed(item.apgr),
    percent(item.cpt50),
    percent(item.cpt80),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const render = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [
    `${dataset} (${lines[0]?.prompts ?? 0} prompts)`,
    '',
    render(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(render),
    '',
  ].join('\n');
}
