import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadRun } from '@haiku-army/orchestrator';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { army, PACKAGES_DIR, tempDir } from './support/harness.js';

// The HTML `army report --html` writes, in headless Chromium: Debian's
// `chromium` package driven by playwright-core (never a downloaded browser).
// Missing browser: a failure under CI, a skip with the reason otherwise.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = Boolean(process.env.CI) && !['0', 'false'].includes(process.env.CI!.toLowerCase());
if (!haveChromium && !inCi)
  console.warn(
    `Skipping the army report browser test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it).`,
  );

/** Where the report and its screenshot are kept after the test (gitignored). */
const OUTPUT = fileURLToPath(new URL('./.output/', import.meta.url));
const JOB = 'find every place that retries an API call';

let context: BrowserContext | undefined;
let profile: string | undefined;
afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The part of Chart.js's global the test reads. */
interface ChartGlobal {
  getChart(target: string | HTMLCanvasElement):
    | {
        data: { labels: unknown[]; datasets: { kind?: string; data: unknown[] }[] };
        getDatasetMeta(index: number): { data: { width: number; height: number }[] };
      }
    | undefined;
}

describe.skipIf(!haveChromium && !inCi)('army report --html in headless Chromium', () => {
  it('renders offline with non-empty charts, one timeline bar per call, and the totals of run --json and the journal', async () => {
    if (!haveChromium)
      throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium (.ci/run does).`);
    const journal = tempDir('journal');
    const run = await army(['run', JOB, '--root', PACKAGES_DIR, '--concurrency', '3', '--json'], {
      env: { HAIKU_ARMY_JOURNAL: journal },
    });
    expect(run.code).toBe(0);
    const ran = JSON.parse(run.stdout) as { runId: string; cost: { total: number; calls: number } };
    mkdirSync(OUTPUT, { recursive: true });
    const htmlPath = join(OUTPUT, 'army-report.html');
    const report = await army(['report', ran.runId, '--html', htmlPath, '--journal', journal]);
    expect(report.code).toBe(0);
    const result = await loadRun(ran.runId, { journal });
    expect(result.cost.total).toBe(ran.cost.total);

    profile = mkdtempSync(join(tmpdir(), 'army-cli-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
    });
    const blocked: string[] = [];
    await context.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('body[data-charts]', { timeout: 30_000 });
    expect(await page.getAttribute('body', 'data-charts')).toBe('ready');
    expect(problems).toEqual([]);
    expect(blocked).toEqual([]);

    // One drawn bar per call of the run, in at most --concurrency lanes (and the planner's).
    const timeline = await page.evaluate(() => {
      const Chart = (window as unknown as { Chart: ChartGlobal }).Chart;
      const chart = Chart.getChart('timeline-chart')!;
      const bars = chart.data.datasets.flatMap((dataset, index) =>
        dataset.kind === 'calls' ? chart.getDatasetMeta(index).data : [],
      );
      return {
        bars: bars.length,
        visible: bars.filter((bar) => bar.width > 0 && bar.height > 0).length,
        lanes: chart.data.labels.length,
      };
    });
    expect(result.timeline).toHaveLength(ran.cost.calls);
    expect(timeline.bars).toBe(ran.cost.calls);
    expect(timeline.visible).toBe(ran.cost.calls);
    expect(timeline.lanes).toBeGreaterThan(1);
    expect(timeline.lanes).toBeLessThanOrEqual(3);

    // Every chart holds data and has painted pixels.
    const charts = await page.evaluate(() => {
      const Chart = (window as unknown as { Chart: ChartGlobal }).Chart;
      return Array.from(document.querySelectorAll('canvas')).map((canvas) => {
        const chart = Chart.getChart(canvas);
        const pixels = canvas
          .getContext('2d')!
          .getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index]! > 0) painted++;
        return {
          id: canvas.id,
          points: chart ? chart.data.datasets.reduce((sum, d) => sum + d.data.length, 0) : 0,
          painted,
        };
      });
    });
    expect(charts.length).toBeGreaterThanOrEqual(4);
    for (const chart of charts) {
      expect(chart.points, chart.id).toBeGreaterThan(0);
      expect(chart.painted, chart.id).toBeGreaterThan(1000);
    }

    // The totals shown are the journal's and run --json's, to the nano-USD.
    const total = page.locator('#total-cost [data-role="total"]');
    expect(Number(await total.getAttribute('data-nano-usd'))).toBe(ran.cost.total);
    expect(Number(await page.locator('#total-calls [data-calls]').getAttribute('data-calls'))).toBe(
      ran.cost.calls,
    );
    for (const subtask of result.subtasks) {
      const shown = page.locator(`#subtasks tr[data-subtask="${subtask.id}"] [data-nano-usd]`);
      expect(Number(await shown.getAttribute('data-nano-usd'))).toBe(subtask.cost.total);
    }

    const screenshot = join(OUTPUT, 'army-report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
  }, 180_000);
});
