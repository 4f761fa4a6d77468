import { defaultCatalog, invalidOption, type ModelCatalog } from '@haiku-army/core';
import type { RunResult } from '@haiku-army/orchestrator';
import { chartLibrary } from './chart-library.js';
import { CLIENT_SCRIPT } from './client-script.js';
import { escapeHtml, scriptJson, seconds } from './html.js';
import { reportData } from './report-data.js';
import { REPORT_STYLE } from './report-style.js';
import {
  callsSection,
  costTreeSection,
  sliceTable,
  subtasksSection,
  totalsSection,
} from './sections.js';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** The page's title and heading (e.g. the job). @default `haiku-army run <runId>` */
  title?: string;
  /** Prices the cache saving. @default core's default catalog */
  catalog?: ModelCatalog;
}

/**
 * No network at all: everything the page needs is inline, and the policy
 * forbids every fetch, so even a stray reference could not load anything.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

function checkResult(result: unknown): asserts result is RunResult<unknown> {
  const value = result as Partial<RunResult<unknown>> | null;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    typeof value.runId === 'string' &&
    Array.isArray(value.timeline) &&
    Array.isArray(value.subtasks) &&
    typeof value.cost?.total === 'number' &&
    typeof value.cost.tree === 'object' &&
    typeof value.baseline === 'object';
  if (!ok) {
    throw invalidOption(
      'result',
      'a RunResult (from army.run(), army.map() or loadRun()) with runId, timeline, subtasks, cost and baseline',
      typeof result === 'object' && result !== null ? 'an object without them' : result,
    );
  }
}

function answerText(answer: unknown): string {
  if (answer === undefined) return '';
  if (typeof answer === 'string') return answer;
  try {
    return JSON.stringify(answer, null, 2) ?? String(answer);
  } catch {
    return String(answer);
  }
}

/**
 * Renders a run's result as one self-contained HTML file: a timeline of
 * every call (one lane per concurrency slot, a bar per call coloured by
 * model, retries and escalations marked), cost by model, by role and by
 * subtask, the collapsible cost tree, cache hit rate, cache and batch
 * savings against the planner-alone baseline, and the totals.
 *
 * The file opens offline: Chart.js is inlined, and it holds no URL. Every
 * text that came from the job, the planner or the workers is escaped. Each
 * amount is shown in US dollars to nine decimals (exact) and carries its
 * nano-USD in a `data-nano-usd` attribute.
 *
 * @throws ArmyError `INVALID_OPTIONS` when `result` is not a run result or an option is wrong.
 */
export function renderHtmlReport(
  result: RunResult<unknown>,
  options: HtmlReportOptions = {},
): string {
  checkResult(result);
  if (options.title !== undefined && typeof options.title !== 'string')
    throw invalidOption('title', 'a string', options.title);
  const catalog = options.catalog ?? defaultCatalog;
  if (typeof (catalog as Partial<ModelCatalog>).find !== 'function')
    throw invalidOption('catalog', 'a ModelCatalog', catalog);

  const data = reportData(result, catalog);
  const title = options.title ?? `haiku-army run ${result.runId}`;
  const started = new Date(result.startedAt).toISOString();
  const ended = new Date(result.endedAt).toISOString();
  const error = result.error as { message?: unknown; code?: unknown } | undefined;
  const answer = answerText(result.answer);
  const modelsWithColor = data.models
    .map(
      ({ model, color }) =>
        `<span class="swatch" style="background:${color}"></span>${escapeHtml(model)}`,
    )
    .join(' ');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="generator" content="@haiku-army/report">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body data-run-id="${escapeHtml(result.runId)}" data-total-nano-usd="${result.cost.total}" data-calls="${data.calls.length}">
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">run <code>${escapeHtml(result.runId)}</code> · <span class="status status-${escapeHtml(result.status)}" id="run-status">${escapeHtml(result.status)}</span>${data.interrupted ? ' · <strong>interrupted</strong> (what finished before it stopped)' : ''} · ${result.rounds} ${result.rounds === 1 ? 'round' : 'rounds'} · ${result.subtasks.length} subtasks · started ${started} · ended ${ended} · ${seconds(result.endedAt - result.startedAt)}</p>
${error ? `<p class="error">Stopped early: ${escapeHtml(error.code ? `${String(error.code)}: ` : '')}${escapeHtml(error.message ?? String(error))}</p>` : ''}
<p id="chart-error" class="error" hidden></p>
</header>
<main>
${totalsSection(result, data)}
<section id="timeline"><h2>Timeline</h2>
<p class="muted">One lane per concurrency slot; each bar is a call, coloured by model: ${modelsWithColor || 'no calls'}. A thick dark border and a ◆ mark an escalation (attempt &gt; 1), a red ▲ a call that the gateway retried; faded bars ended in an error or were aborted.</p>
<div class="chart-box" id="timeline-box"><canvas id="timeline-chart" role="img" aria-label="Timeline of ${data.calls.length} calls"></canvas></div>
${callsSection(data)}
</section>
<section id="costs"><h2>Where the money went</h2>
<div class="grid">
<div><h3>By model</h3><div class="chart-box small"><canvas id="cost-by-model-chart" role="img" aria-label="Cost by model"></canvas></div>${sliceTable('cost-by-model', data.costByModel, 'model')}</div>
<div><h3>By role</h3><div class="chart-box small"><canvas id="cost-by-role-chart" role="img" aria-label="Cost by role"></canvas></div>${sliceTable('cost-by-role', data.costByRole, 'role')}</div>
</div>
<h3>By subtask</h3>
${data.subtaskCosts.of > data.subtaskCosts.labels.length ? `<p class="muted" id="subtask-chart-note">The ${data.subtaskCosts.labels.length} most expensive of ${data.subtaskCosts.of} subtasks; the cost tree and the table below list them all.</p>` : ''}
<div class="chart-box" id="cost-by-subtask-box"><canvas id="cost-by-subtask-chart" role="img" aria-label="Cost by subtask"></canvas></div>
</section>
${costTreeSection(result)}
${subtasksSection(result)}
${answer ? `<section id="answer"><h2>Answer</h2><pre>${escapeHtml(answer)}</pre></section>` : ''}
${result.plan?.reasoning ? `<section id="plan"><h2>How the planner split the job</h2><p>${escapeHtml(result.plan.reasoning)}</p></section>` : ''}
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${chartLibrary()}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
