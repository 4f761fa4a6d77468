import type { CostBreakdown, LedgerTotals } from '@haiku-army/core';
import type { RunResult, SubtaskCost } from '@haiku-army/orchestrator';
import { count, escapeHtml, money, percent, seconds } from './html.js';
import type { ReportData } from './report-data.js';

/** One line item split of a spend: input, output, cache writes, cache reads. */
function breakdown(cost: CostBreakdown, totals?: LedgerTotals): string {
  const tokens = totals?.usage;
  const item = (label: string, nano: number, used?: number) =>
    `<span class="item">${label} ${money(nano)}${used === undefined ? '' : ` <small>(${count(used)} tok)</small>`}</span>`;
  return `<span class="breakdown">${[
    item('input', cost.input, tokens?.inputTokens),
    item('output', cost.output, tokens?.outputTokens),
    item(
      'cache write',
      cost.cacheWrite,
      tokens ? tokens.cacheWrite5mTokens + tokens.cacheWrite1hTokens : undefined,
    ),
    item('cache read', cost.cacheRead, tokens?.cacheReadTokens),
  ].join('')}</span>`;
}

function leaf(name: string, node: string, totals: LedgerTotals): string {
  return `<li data-node="${node}"><span class="node-name">${escapeHtml(name)}</span> ${money(totals.cost.total, 'data-role="node-total"')} <small>${count(totals.calls)} calls</small> ${breakdown(totals.cost, totals)}</li>`;
}

function subtaskNode(node: SubtaskCost, title: string | undefined): string {
  const attempts = node.attempts
    .map(
      (attempt) =>
        `<li data-node="attempt"><span class="node-name">attempt ${attempt.attempt} · ${escapeHtml(attempt.model)}</span> ${money(attempt.totals.cost.total)} <small>${count(attempt.totals.calls)} calls</small> ${breakdown(attempt.totals.cost, attempt.totals)}</li>`,
    )
    .join('');
  return `<li data-node="subtask" data-subtask="${escapeHtml(node.id)}"><details><summary><span class="node-name">${escapeHtml(node.id)}</span>${title ? ` <span class="muted">${escapeHtml(title)}</span>` : ''} ${money(node.totals.cost.total, 'data-role="node-total"')} <small>${count(node.totals.calls)} calls</small>${node.reusedFrom ? ` <small data-role="reused">reused, was ${money(node.reusedFrom.originalCost)}</small>` : ''}</summary><ul>${attempts || '<li class="muted">no billed calls</li>'}</ul></details></li>`;
}

/** The cost tree as nested `<details>`: run → planner, router, subtasks → attempts, synthesis, other. */
export function costTreeSection(result: RunResult<unknown>): string {
  const { tree } = result.cost;
  const titles = new Map(result.subtasks.map((subtask) => [subtask.id, subtask.title]));
  const subtaskTotal = tree.subtasks.reduce((sum, node) => sum + node.totals.cost.total, 0);
  const subtaskCalls = tree.subtasks.reduce((sum, node) => sum + node.totals.calls, 0);
  return `<section id="cost-tree"><h2>Cost tree</h2>
<details open><summary><span class="node-name">run</span> ${money(tree.total.cost.total, 'data-role="tree-total"')} <small>${count(tree.total.calls)} calls</small> ${breakdown(tree.total.cost, tree.total)}</summary>
<ul>
${leaf('planner', 'planner', tree.planner)}
${leaf('router', 'router', tree.router)}
<li data-node="subtasks"><details open><summary><span class="node-name">subtasks (${tree.subtasks.length})</span> ${money(subtaskTotal)} <small>${count(subtaskCalls)} calls</small></summary><ul>${tree.subtasks.map((node) => subtaskNode(node, titles.get(node.id))).join('\n')}</ul></details></li>
${leaf('synthesis', 'synthesis', tree.synthesis)}
${tree.other.calls > 0 ? leaf('other', 'other', tree.other) : ''}
</ul></details></section>`;
}

/** The headline figures. Every amount carries its exact nano-USD. */
export function totalsSection(result: RunResult<unknown>, data: ReportData): string {
  const { baseline } = result;
  const { cache } = data;
  const card = (id: string, label: string, value: string, note = '') =>
    `<div class="card" id="${id}"><div class="label">${label}</div><div class="value">${value}</div>${note ? `<div class="note">${note}</div>` : ''}</div>`;
  const cards = [
    card(
      'total-cost',
      'Total cost',
      money(result.cost.total, 'data-role="total"'),
      result.cost.estimated > 0 ? `of which estimated ${money(result.cost.estimated)}` : '',
    ),
    card(
      'total-calls',
      'Calls',
      `<span data-calls="${result.cost.calls}">${count(result.cost.calls)}</span>`,
      `${count(data.calls.length)} on the timeline, in ${data.lanes} concurrent ${data.lanes === 1 ? 'slot' : 'slots'}`,
    ),
    card(
      'cache-hit-rate',
      'Cache hit rate',
      `<span data-ratio="${result.cacheHitRate}">${percent(result.cacheHitRate)}</span>`,
      `${count(result.cost.usage.cacheReadTokens)} of ${count(result.cost.usage.inputTokens + result.cost.usage.cacheReadTokens + result.cost.usage.cacheWrite5mTokens + result.cost.usage.cacheWrite1hTokens)} input tokens read from the cache`,
    ),
    card(
      'cache-saving',
      'Cache saving',
      money(cache.net, 'data-role="cache-saving"'),
      `reads saved ${money(cache.readSaving)}, writes cost ${money(cache.writePremium)} extra${cache.unpriced.length ? `; not priced (not in the catalog): ${escapeHtml(cache.unpriced.join(', '))}` : ''}`,
    ),
    card(
      'batch-saving',
      'Batch saving',
      data.batchSaving === undefined
        ? '<span class="muted">not reported</span>'
        : money(data.batchSaving, 'data-role="batch-saving"'),
      data.batchSaving === undefined
        ? 'this result has no batch figures'
        : 'standard price minus batch price of the batch-priced calls',
    ),
    card(
      'reuse-saving',
      'Reused results',
      money(result.savedByReuse ?? 0, 'data-role="reuse-saving"'),
      `${count(result.reused ?? 0)} results reused from the result cache (inputs unchanged): not billed, this is what they cost when they ran`,
    ),
    card(
      'baseline',
      'Saving against the baseline',
      money(baseline.savings, 'data-role="baseline-saving"'),
      `${percent(baseline.savingsRatio)} of ${money(baseline.baseline, 'data-role="baseline"')}: the same tokens on ${escapeHtml(baseline.model)} alone, no cache or batch discount`,
    ),
  ];
  return `<section id="totals"><h2>Totals</h2><div class="cards">${cards.join('\n')}</div></section>`;
}

/** Every subtask: status, model, attempts, cost and its summary (untrusted text, escaped). */
export function subtasksSection(result: RunResult<unknown>): string {
  const rows = result.subtasks
    .map(
      (subtask) =>
        `<tr data-subtask="${escapeHtml(subtask.id)}"><td>${escapeHtml(subtask.id)}</td><td>${escapeHtml(subtask.title)}</td><td class="status status-${escapeHtml(subtask.status)}">${escapeHtml(subtask.status)}${subtask.code ? ` <small>${escapeHtml(subtask.code)}</small>` : ''}</td><td>${escapeHtml(subtask.model ?? '')}</td><td class="num">${subtask.attempts.length}</td><td class="num">${count(subtask.calls)}</td><td class="num">${money(subtask.cost.total)}${subtask.reused ? ` <small class="muted" data-role="reused">reused; was ${money(subtask.reused.originalCost.total)}</small>` : ''}</td><td class="summary">${escapeHtml(subtask.summary)}${subtask.reason ? `<div class="muted">${escapeHtml(subtask.reason)}</div>` : ''}</td></tr>`,
    )
    .join('\n');
  return `<section id="subtasks"><h2>Subtasks</h2><table><thead><tr><th>id</th><th>title</th><th>status</th><th>model</th><th>attempts</th><th>calls</th><th>cost</th><th>summary</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** Every call of the timeline, one row each (what the chart draws, as a table). */
export function callsSection(data: ReportData): string {
  const rows = data.calls
    .map(
      (call, index) =>
        `<tr class="call" data-call="${index}" data-lane="${call.lane}" data-model="${escapeHtml(call.model)}" data-attempt="${call.attempt}" data-retries="${call.retries}"><td class="num">${index + 1}</td><td>${call.lane + 1}</td><td>${escapeHtml(call.taskId)}</td><td>${escapeHtml(call.role)}</td><td>${escapeHtml(call.model)}</td><td class="num">${call.attempt}</td><td>${escapeHtml(call.outcome)}</td><td class="num">${call.retries}</td><td class="num">${seconds(call.start)}</td><td class="num">${seconds(call.end - call.start)}</td><td class="num">${call.cost === undefined ? '<span class="muted">not billed</span>' : money(call.cost)}</td></tr>`,
    )
    .join('\n');
  return `<details id="calls"><summary>Every call (${data.calls.length})</summary><table><thead><tr><th>#</th><th>slot</th><th>task</th><th>role</th><th>model</th><th>attempt</th><th>outcome</th><th>retries</th><th>start</th><th>duration</th><th>cost</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

/** A money table beside a chart. */
export function sliceTable(id: string, slices: ReportData['costByModel'], heading: string): string {
  const rows = slices
    .map(
      (slice) =>
        `<tr><td>${escapeHtml(slice.label)}</td><td class="num">${money(slice.nano)}</td></tr>`,
    )
    .join('');
  return `<table id="${id}"><thead><tr><th>${heading}</th><th>cost</th></tr></thead><tbody>${rows}</tbody></table>`;
}
