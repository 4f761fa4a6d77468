import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunResult } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNanoUsd, renderHtmlReport } from '../src/index.js';
import { demoRun } from './support/demo-run.js';

// Issue 12, point 4: the HTML report in a real browser. Debian's `chromium`
// package, driven by playwright-core (never a downloaded browser). Missing
// browser: a failure under CI, a skip with the reason otherwise.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = Boolean(process.env.CI) && !['0', 'false'].includes(process.env.CI!.toLowerCase());
if (!haveChromium && !inCi) {
  console.warn(
    `Skipping the browser test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it).`,
  );
}

/** Where the report and its screenshot are kept after the test (gitignored). */
const OUTPUT = fileURLToPath(new URL('./.output/', import.meta.url));

let fake: FakeAnthropicServer;
let context: BrowserContext | undefined;
let profile: string | undefined;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await fake.close();
});

describe.skipIf(!haveChromium && !inCi)('the HTML report in headless Chromium', () => {
  it('draws one timeline bar per call, non-empty charts, and the run’s exact totals, offline', async () => {
    if (!haveChromium)
      throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium (.ci/run does).`);
    const result: RunResult = await demoRun(fake);
    expect(result.status).toBe('done');
    expect(result.timeline.some((call) => (call.retries ?? 0) > 0)).toBe(true);

    mkdirSync(OUTPUT, { recursive: true });
    const htmlPath = join(OUTPUT, 'report.html');
    writeFileSync(htmlPath, renderHtmlReport(result, { title: 'Where does it retry?' }));

    profile = mkdtempSync(join(tmpdir(), 'army-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
    });
    const requested: string[] = [];
    const blocked: string[] = [];
    await context.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('body[data-charts]', { timeout: 20_000 });
    expect(await page.getAttribute('body', 'data-charts')).toBe('ready');
    expect(problems).toEqual([]);
    expect(blocked).toEqual([]);
    expect(requested.every((url) => url.startsWith('file:') || url.startsWith('data:'))).toBe(true);

    // The timeline: one drawn bar per call, in as many lanes as calls ran at once.
    const timeline = await page.evaluate(() => {
      const Chart = (window as unknown as { Chart: ChartGlobal }).Chart;
      const chart = Chart.getChart('timeline-chart')!;
      const bars = chart.data.datasets.flatMap((dataset, index) =>
        dataset.kind === 'calls' ? chart.getDatasetMeta(index).data : [],
      );
      const marks = (kind: string) =>
        chart.data.datasets
          .filter((dataset) => dataset.kind === kind)
          .reduce((sum, dataset) => sum + dataset.data.length, 0);
      return {
        bars: bars.length,
        visible: bars.filter((bar) => bar.width > 0 && bar.height > 0).length,
        lanes: chart.data.labels.length,
        retries: marks('retries'),
        rows: document.querySelectorAll('#calls tr.call').length,
      };
    });
    expect(timeline.bars).toBe(result.timeline.length);
    expect(timeline.visible).toBe(result.timeline.length);
    expect(timeline.rows).toBe(result.timeline.length);
    expect(timeline.retries).toBe(result.timeline.filter((call) => (call.retries ?? 0) > 0).length);
    expect(timeline.lanes).toBeGreaterThan(1);
    expect(timeline.lanes).toBeLessThanOrEqual(3); // concurrency: 3

    // Every chart holds data and has painted pixels.
    const charts = await page.evaluate(() => {
      const Chart = (window as unknown as { Chart: ChartGlobal }).Chart;
      return Array.from(document.querySelectorAll('canvas')).map((canvas) => {
        const chart = Chart.getChart(canvas);
        const context2d = canvas.getContext('2d')!;
        const pixels = context2d.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index]! > 0) painted++;
        return {
          id: canvas.id,
          points: chart ? chart.data.datasets.reduce((sum, d) => sum + d.data.length, 0) : 0,
          painted,
        };
      });
    });
    expect(charts.map((chart) => chart.id).sort()).toEqual([
      'cost-by-model-chart',
      'cost-by-role-chart',
      'cost-by-subtask-chart',
      'timeline-chart',
    ]);
    for (const chart of charts) {
      expect(chart.points, chart.id).toBeGreaterThan(0);
      expect(chart.painted, chart.id).toBeGreaterThan(1000);
    }

    // The totals shown are the run's, to the nano-USD, in the text and in the data.
    const total = page.locator('#total-cost [data-role="total"]');
    expect(Number(await total.getAttribute('data-nano-usd'))).toBe(result.cost.total);
    expect(await total.textContent()).toBe(formatNanoUsd(result.cost.total));
    expect(parseUsd((await total.textContent())!)).toBe(result.cost.total);
    const treeTotal = page.locator('[data-role="tree-total"]');
    expect(Number(await treeTotal.getAttribute('data-nano-usd'))).toBe(
      result.cost.tree.total.cost.total,
    );
    expect(Number(await page.locator('#total-calls [data-calls]').getAttribute('data-calls'))).toBe(
      result.cost.calls,
    );
    for (const subtask of result.subtasks) {
      const shown = page.locator(`#subtasks tr[data-subtask="${subtask.id}"] [data-nano-usd]`);
      expect(Number(await shown.getAttribute('data-nano-usd'))).toBe(subtask.cost.total);
    }
    // The untrusted job text stayed text: no script of it ran or exists.
    expect(await page.locator('script').count()).toBe(3);

    const screenshot = join(OUTPUT, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    console.log(`report: ${htmlPath}\nscreenshot: ${screenshot}`);
  }, 120_000);
});

/** `$1,234.000000001` -> nano-USD. */
function parseUsd(text: string): number {
  const match = /^(-?)\$([\d,]+)\.(\d{9})$/.exec(text.trim());
  if (!match) throw new Error(`not an exact USD amount: ${text}`);
  const nano = Number(match[2]!.replaceAll(',', '')) * 1e9 + Number(match[3]);
  return match[1] ? -nano : nano;
}

/** The part of Chart.js's global this test reads. */
interface ChartGlobal {
  getChart(target: string | HTMLCanvasElement):
    | {
        data: { labels: unknown[]; datasets: { kind?: string; data: unknown[] }[] };
        getDatasetMeta(index: number): { data: { width: number; height: number }[] };
      }
    | undefined;
}
