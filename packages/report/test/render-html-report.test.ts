import { ArmyError, costOf, defaultCatalog } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import { formatNanoUsd, renderHtmlReport } from '../src/index.js';
import { type ReportData, SUBTASK_CHART_LIMIT } from '../src/report-data.js';
import { fixtureRun, sampleRun } from './support/fixture.js';

/** The JSON the page's script reads. */
function embeddedData(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no report data in the page');
  return JSON.parse(match[1]!) as ReportData;
}

/** Each match of `pattern` in `text`, with a little context (so a failure does not print the page). */
function found(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((match) =>
    text.slice(Math.max(0, match.index - 40), match.index + match[0].length + 40),
  );
}

/** The text of the page outside its three scripts (the markup a browser parses as HTML). */
function markup(html: string): string {
  return html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '');
}

describe('renderHtmlReport', () => {
  const result = sampleRun();
  const html = renderHtmlReport(result);

  it('references nothing outside the file: no URL at all, no src/href, no url(), no @import', () => {
    // The strict reading of "no external URL": the scheme never appears,
    // not even in a licence comment of the inlined library.
    expect(found(html, /https?:\/\//gi)).toEqual([]);
    expect(found(html, /\/\/[a-z0-9-]+\.[a-z]{2,}\//gi)).toEqual([]); // protocol-relative
    expect(found(html, /\s(?:src|href|srcset|action|poster|formaction)\s*=/gi)).toEqual([]);
    expect(found(html, /(?:^|[^a-z])url\s*\(/gi)).toEqual([]); // CSS url(), not toDataURL(
    expect(found(html, /@import/gi)).toEqual([]);
    expect(found(html, /sourceMappingURL/g)).toEqual([]);
    // No script fetches: Chart.js 4 loads nothing, and the client script neither.
    expect(
      found(html, /\bfetch\s*\(|XMLHttpRequest|new\s+WebSocket|importScripts|\bimport\s*\(/g),
    ).toEqual([]);
    // And the page forbids every fetch, should anything try.
    expect(html).toContain(`content="default-src 'none';`);
  });

  it('inlines Chart.js with its licence notice', () => {
    expect(html).toContain('Chart.js v4.');
    expect(html).toContain('Released under the MIT License');
    expect(html).toContain('www.chartjs.org');
    expect(html.match(/<script\b/g)).toHaveLength(3);
  });

  it('puts every call of the timeline in the chart data, with lanes, retries and escalations', () => {
    const data = embeddedData(html);
    expect(data.calls).toHaveLength(result.timeline.length);
    expect(html.match(/<tr class="call"/g)).toHaveLength(result.timeline.length);
    expect(data.lanes).toBe(3); // a, b and c's first attempt ran at once
    expect(data.calls.filter((call) => call.retries > 0).map((call) => call.taskId)).toEqual(['a']);
    expect(data.calls.filter((call) => call.attempt > 1).map((call) => call.model)).toEqual([
      'claude-sonnet-5-5',
    ]);
    expect(data.calls[0]!.start).toBe(0);
    expect(data.models.map((model) => model.model)).toEqual([
      'claude-opus-5-5',
      'claude-haiku-5-5',
      'claude-sonnet-5-5',
    ]);
  });

  it('shows the totals exactly, with their nano-USD', () => {
    expect(html).toContain(
      `<span class="money" data-role="total" data-nano-usd="${result.cost.total}">${formatNanoUsd(result.cost.total)}</span>`,
    );
    expect(html).toContain(`data-total-nano-usd="${result.cost.total}"`);
    expect(html).toContain(`data-calls="${result.cost.calls}"`);
    const data = embeddedData(html);
    const sum = (slices: { nano: number }[]) => slices.reduce((total, s) => total + s.nano, 0);
    expect(sum(data.costByModel)).toBe(result.cost.total);
    expect(sum(data.costByRole)).toBe(result.cost.total);
    expect(data.costByModel.map((slice) => slice.label)).not.toContain('not on the timeline');
    const subtasks = data.subtaskCosts.byModel.flatMap((row) => row.nano);
    expect(subtasks.reduce((total, nano) => total + nano, 0)).toBe(
      result.subtasks.reduce((total, subtask) => total + subtask.cost.total, 0),
    );
    expect(html).toContain(`data-nano-usd="${result.baseline.savings}"`);
  });

  it('computes the cache saving from the breakdown and the catalog’s prices', () => {
    const data = embeddedData(html);
    // Haiku 5.5: 6,000 cache-read tokens across a, b and c's first attempt;
    // Opus 5.5: 2,000 tokens written to the 5 minute cache by the planner.
    const haiku = defaultCatalog.get('claude-haiku-5-5').prices;
    const opus = defaultCatalog.get('claude-opus-5-5').prices;
    expect(data.cache.readSaving).toBe(6000 * (haiku.input - haiku.cacheRead));
    expect(data.cache.writePremium).toBe(2000 * (opus.cacheWrite5m - opus.input));
    expect(data.cache.net).toBe(data.cache.readSaving - data.cache.writePremium);
    expect(data.cache.unpriced).toEqual([]);
    expect(html).toContain(`data-role="cache-saving" data-nano-usd="${data.cache.net}"`);
  });

  it('keeps the batch discount in the cache saving (it scales every line item alike)', () => {
    const batch = costOf('claude-haiku-5-5', {
      input_tokens: 100,
      cache_read_input_tokens: 1000,
      service_tier: 'batch',
    });
    const run = sampleRun();
    const node = run.cost.tree.subtasks[0]!;
    node.attempts[0]!.totals = {
      calls: 1,
      usage: {
        inputTokens: 100,
        outputTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        cacheReadTokens: 1000,
      },
      cost: batch,
      estimated: 0,
    };
    const { cache } = embeddedData(renderHtmlReport(run));
    const haiku = defaultCatalog.get('claude-haiku-5-5').prices;
    // a's batch-priced reads save half of what b's and c's standard-priced ones do.
    expect(cache.readSaving).toBe(
      Math.round(
        1000 * (haiku.input - haiku.cacheRead) * 0.5 + 4000 * (haiku.input - haiku.cacheRead),
      ),
    );
  });

  it('shows the batch saving when the result has one, and says so when it has none', () => {
    // A result from before batch mode (a journal of an older run) has no batch figures.
    const older = sampleRun();
    delete (older.cost as { batchSaving?: number }).batchSaving;
    expect(renderHtmlReport(older)).toContain('not reported');
    expect(html).toContain('data-role="batch-saving" data-nano-usd="0"');
    const run = sampleRun();
    (run.cost as { batchSaving?: number }).batchSaving = 123_456_789;
    const withBatch = renderHtmlReport(run);
    expect(withBatch).toContain(
      '<span class="money" data-role="batch-saving" data-nano-usd="123456789">$0.123456789</span>',
    );
    expect(embeddedData(withBatch).batchSaving).toBe(123_456_789);
  });

  it('escapes untrusted text in the markup and keeps the embedded JSON inside its script', () => {
    const evil =
      '</script><script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \u2028';
    const run = sampleRun({ job: evil, summary: `<b>bold</b> ${evil}` });
    run.answer = `Answer: ${evil}`;
    run.plan = { reasoning: evil, subtasks: [] };
    const page = renderHtmlReport(run, { title: evil });
    // Exactly the report's own three scripts, and no element from the text.
    expect(page.match(/<script\b/gi)).toHaveLength(3);
    expect(page.match(/<\/script>/gi)).toHaveLength(3);
    expect(found(page, /<img\b/gi)).toEqual([]);
    expect(found(page, /<b>bold/g)).toEqual([]);
    expect(markup(page)).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)');
    expect(page).toContain(`<title>${'&lt;/script&gt;'}`);
    // The JSON still parses back to the same strings.
    const data = embeddedData(page);
    expect(data.runId).toBe(run.runId);
    const timelineTask = 'a</script>';
    run.timeline[1]!.taskId = timelineTask;
    const again = renderHtmlReport(run);
    expect(again.match(/<\/script>/gi)).toHaveLength(3);
    expect(embeddedData(again).calls[1]!.taskId).toBe(timelineTask);
  });

  it('charts the costliest subtasks of a large run and lists them all in the tree and table', () => {
    const ids = Array.from({ length: 100 }, (_, index) => `s${index}`);
    const run = fixtureRun(
      ids.map((id, index) => ({
        taskId: id,
        role: 'worker',
        model: 'claude-haiku-5-5',
        start: index,
        end: index + 1,
        usage: { input_tokens: 10, output_tokens: index + 1 },
      })),
      ids.map((id) => ({ id, title: id, summary: 'ok' })),
    );
    const page = renderHtmlReport(run);
    const { subtaskCosts, calls } = embeddedData(page);
    expect(calls).toHaveLength(100);
    expect(subtaskCosts.of).toBe(100);
    expect(subtaskCosts.labels).toHaveLength(SUBTASK_CHART_LIMIT);
    expect(subtaskCosts.labels[0]).toBe('s99');
    expect(subtaskCosts.labels).not.toContain('s0');
    expect(page).toContain('id="subtask-chart-note"');
    expect(page.match(/<li data-node="subtask"/g)).toHaveLength(100);
    expect(page.match(/<tr data-subtask=/g)).toHaveLength(100);
  });

  it('lists calls billed outside the timeline, so the slices still add up', () => {
    const run = sampleRun();
    const dropped = run.timeline.splice(0, 1)[0]!;
    const data = embeddedData(renderHtmlReport(run));
    expect(data.costByModel.at(-1)).toEqual({ label: 'not on the timeline', nano: dropped.cost });
    expect(data.costByModel.reduce((sum, slice) => sum + slice.nano, 0)).toBe(run.cost.total);
  });

  it('names the models its catalog cannot price instead of guessing', () => {
    const run = sampleRun();
    run.cost.tree.subtasks[0]!.attempts[0]!.model = 'claude-unknown-1';
    const { cache } = embeddedData(renderHtmlReport(run));
    expect(cache.unpriced).toEqual(['claude-unknown-1']);
  });

  it('rejects what is not a run result, and bad options, with INVALID_OPTIONS', () => {
    for (const bad of [undefined, null, 42, {}, { runId: 'x', timeline: [] }]) {
      expect(() => renderHtmlReport(bad as never)).toThrowError(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
    expect(() => renderHtmlReport(result, { title: 5 as never })).toThrowError(ArmyError);
    expect(() => renderHtmlReport(result, { catalog: {} as never })).toThrowError(/catalog/);
  });

  it('says when the run was interrupted or stopped early', () => {
    const run = sampleRun();
    Object.assign(run, { status: 'cancelled', interrupted: true, error: new Error('<stop>') });
    const page = renderHtmlReport(run);
    expect(page).toContain('<strong>interrupted</strong>');
    expect(page).toContain('Stopped early: &lt;stop&gt;');
    expect(embeddedData(page).interrupted).toBe(true);
  });
});
