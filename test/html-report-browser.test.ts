/**
 * Opens the HTML report of a real capture in headless Chromium, as an analyst would: the page must load
 * with every network request blocked, list the documented beacon first, draw its charts, and respond to
 * the filters and sorting. Chromium comes from the Debian package (`/usr/bin/chromium`), driven by
 * playwright-core, which brings no browser of its own. Without it, or without the captures, the test is
 * skipped with a message; CI sets BEACONHUNT_REQUIRE_CHROMIUM=1 so that a missing browser fails instead.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ReportDocument } from '../src/report/report-document.js';
import { HAS_CHROMIUM, launchReportBrowser, type ReportBrowser } from './chromium.js';
import { beaconhunt } from './run-cli.js';
import { groundTruth, HAS_SHARED_DATA, REPOSITORY_ROOT, sharedPath } from './shared-data.js';

const OUTPUT_DIRECTORY = join(REPOSITORY_ROOT, 'test-output', 'html-report');
const REPORT_PATH = join(OUTPUT_DIRECTORY, 'report.html');
const SCREENSHOT_PATH = join(OUTPUT_DIRECTORY, 'report.png');
/** Scanning the capture takes about 25 s on a 2-core machine; the browser steps take a few more. */
const TIMEOUT_MS = 300_000;
const CHART_TEST_IDS = ['chart-timeline', 'chart-gaps', 'chart-sizes'];

interface RowInfo {
  rank: number;
  score: number | null;
  hidden: boolean;
  source: string;
  destination: string;
  port: string;
}

/** The page's globals that the chart checks use, typed here because the project compiles without DOM types. */
interface CanvasElement {
  width: number;
  height: number;
  toDataURL(): string;
}

interface PageGlobals {
  document: {
    querySelector(selector: string): CanvasElement | null;
    createElement(tag: 'canvas'): CanvasElement;
  };
  Chart: { getChart(canvas: CanvasElement): { data: { datasets: { data: unknown[] }[] } } | undefined };
}

/** Parses the report document embedded in the page. */
async function reportData(page: Page): Promise<ReportDocument> {
  return JSON.parse((await page.textContent('#report-data')) ?? '') as ReportDocument;
}

/** Reads the rows of the findings table in display order. */
async function tableRows(page: Page): Promise<RowInfo[]> {
  return page.$$eval('[data-testid="finding-row"]', (rows) =>
    rows.map((row) => {
      const text = (testId: string): string =>
        row.querySelector(`[data-testid="${testId}"]`)?.textContent?.trim() ?? '';
      const score = row.getAttribute('data-score');
      return {
        rank: Number(row.getAttribute('data-rank')),
        score: score === null || score === '' ? null : Number(score),
        hidden: row.getAttribute('data-hidden') === 'true',
        source: text('cell-source'),
        destination: text('cell-destination'),
        port: text('cell-port'),
      };
    }),
  );
}

describe.skipIf(!HAS_CHROMIUM || !HAS_SHARED_DATA)('HTML report in Chromium', () => {
  let browser: ReportBrowser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
    rmSync(REPORT_PATH, { force: true });
    const dataset = groundTruth('rita-missing-host');
    const outcome = await beaconhunt('scan', sharedPath(dataset.path!), '--html', REPORT_PATH, '--quiet');
    expect(outcome.code, outcome.stderr).toBe(0);

    browser = await launchReportBrowser();
    page = await browser.open(REPORT_PATH);
  }, TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
  });

  test('documented beacon is listed first', async () => {
    const [beacon] = groundTruth('rita-missing-host').positives;
    const rows = await tableRows(page);

    expect(rows.length).toBeGreaterThan(1);
    expect(rows[0]!.source).toBe(beacon!.src);
    expect(rows[0]!.destination).toBe(beacon!.dst);
    expect(rows[0]!.port).toBe(String(beacon!.dport));
    expect(rows.some((row) => row.hidden)).toBe(false);

    const title = await page.textContent('[data-testid="detail-title"]');
    expect(title).toContain(beacon!.src);
    expect(title).toContain(`${beacon!.dst}:${beacon!.dport}`);
  });

  test('detail charts are drawn', async () => {
    const charts = await page.evaluate((testIds) => {
      const { document, Chart } = globalThis as unknown as PageGlobals;
      return testIds.map((testId) => {
        const canvas = document.querySelector(`[data-testid="${testId}"]`);
        if (canvas === null) return { testId, found: false, points: 0, drawn: false };
        const chart = Chart.getChart(canvas);
        const points = chart?.data.datasets.reduce((sum, dataset) => sum + dataset.data.length, 0) ?? 0;
        const blank = document.createElement('canvas');
        blank.width = canvas.width;
        blank.height = canvas.height;
        return { testId, found: true, points, drawn: canvas.toDataURL() !== blank.toDataURL() };
      });
    }, CHART_TEST_IDS);

    for (const chart of charts) {
      expect(chart, chart.testId).toMatchObject({ found: true, drawn: true });
      expect(chart.points, chart.testId).toBeGreaterThan(0);
    }
    const hourCells = await page.$$eval('[data-testid="hour-strip"] [data-hour]', (cells) =>
      cells.map((cell) => Number(cell.getAttribute('data-count'))),
    );
    expect(hourCells).toHaveLength(24);
    expect(hourCells.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
  });

  test('timeline axis covers every gap', async () => {
    const axis = await page.evaluate(() => {
      const { document, Chart } = globalThis as unknown as PageGlobals;
      const chart = Chart.getChart(document.querySelector('[data-testid="chart-timeline"]')!) as unknown as {
        scales: { y: { max: number; ticks: { value: number }[] } };
        data: { datasets: { data: { y: number }[] }[] };
      };
      return {
        max: chart.scales.y.max,
        topTick: Math.max(...chart.scales.y.ticks.map((tick) => tick.value)),
        longest: Math.max(...chart.data.datasets[0]!.data.map((point) => point.y)),
      };
    });

    expect(axis.longest).toBeGreaterThan(0);
    expect(axis.max).toBeGreaterThanOrEqual(axis.longest);
    expect(axis.topTick).toBe(axis.max);
  });

  test('period cells show nonzero jitter', async () => {
    const document = await reportData(page);
    const periods = await page.$$eval('[data-testid="finding-row"]', (rows) =>
      rows.map((row) => ({
        index: Number(row.getAttribute('data-index')),
        text: row.querySelectorAll('td')[7]?.textContent ?? '',
      })),
    );

    expect(periods.length).toBeGreaterThan(0);
    for (const { index, text } of periods) {
      const measures = (document.findings[index]!.finding as { measures?: { jitterSeconds?: number } })
        .measures;
      if (measures?.jitterSeconds !== undefined && measures.jitterSeconds > 0) {
        expect(text, `row ${index}`).not.toMatch(/± 0 s$/);
      }
    }
  });

  test('text filter keeps matching rows', async () => {
    const document = await reportData(page);
    const listed = document.findings.filter((finding) => !finding.hidden);
    const top = listed[0]!;
    const later = listed.find((finding) => finding.summary.sourceIp !== top.summary.sourceIp);
    expect(later).toBeDefined();
    const term = later!.summary.sourceIp;
    // The page matches any string or number of the summary and the finding. An address is never part of
    // a key or a number, so searching the JSON text finds the same rows.
    const expected = listed.filter((finding) =>
      JSON.stringify([finding.summary, finding.finding]).includes(term),
    );

    await page.fill('[data-testid="filter-text"]', term);
    const rows = await tableRows(page);

    expect(rows.length).toBeLessThan(listed.length);
    expect(rows.map((row) => row.rank).sort((a, b) => a - b)).toEqual(
      expected.map((finding) => finding.summary.rank).sort((a, b) => a - b),
    );
    expect(rows.map((row) => row.rank)).toContain(later!.summary.rank);

    await page.fill('[data-testid="filter-text"]', '');
    expect(await tableRows(page)).toHaveLength(listed.length);
  });

  test('score header reverses the order', async () => {
    const before = await tableRows(page);

    await page.click('[data-testid="sort-score"]');
    const ascending = await tableRows(page);
    const ascendingScores = ascending.map((row) => row.score ?? -1);
    expect(ascendingScores).toEqual([...ascendingScores].sort((a, b) => a - b));
    expect(ascending[0]!.rank).not.toBe(before[0]!.rank);
    expect(
      await page.$eval('th:has([data-testid="sort-score"])', (cell) => cell.getAttribute('aria-sort')),
    ).toBe('ascending');

    await page.click('[data-testid="sort-score"]');
    const descending = await tableRows(page);
    const descendingScores = descending.map((row) => row.score ?? -1);
    expect(descendingScores).toEqual([...descendingScores].sort((a, b) => b - a));
    expect(descending[0]!.rank).toBe(before[0]!.rank);
    expect(
      await page.$eval('th:has([data-testid="sort-score"])', (cell) => cell.getAttribute('aria-sort')),
    ).toBe('descending');

    await page.click('[data-testid="sort-rank"]');
    expect((await tableRows(page))[0]!.rank).toBe(before[0]!.rank);
  });

  test('show hidden adds hidden rows', async () => {
    const before = await tableRows(page);
    const listedHidden = (await reportData(page)).findings.filter((finding) => finding.hidden).length;
    expect(listedHidden).toBeGreaterThan(0);

    await page.check('[data-testid="filter-hidden"]');
    const after = await tableRows(page);

    expect(after.length).toBe(before.length + listedHidden);
    expect(after.filter((row) => row.hidden)).toHaveLength(listedHidden);

    const hiddenRow = page.locator('[data-testid="finding-row"][data-hidden="true"]').first();
    await hiddenRow.focus();
    await page.keyboard.press('Enter');
    const hiddenRank = await hiddenRow.getAttribute('data-rank');
    expect(await page.getAttribute('[data-testid="detail"]', 'data-index')).toBe(
      await hiddenRow.getAttribute('data-index'),
    );
    expect(await page.textContent('[data-testid="detail"]')).toContain(`rank ${hiddenRank}`);
    expect(await page.locator('[data-testid="evidence-checks"] .badge.hid').count()).toBeGreaterThan(0);

    await page.uncheck('[data-testid="filter-hidden"]');
    expect(await tableRows(page)).toHaveLength(before.length);
  });

  test('screenshot saved, no errors or requests', async () => {
    await page.locator('[data-testid="finding-row"]').first().click();
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    console.log(`HTML report screenshot: ${SCREENSHOT_PATH}`);

    expect(existsSync(SCREENSHOT_PATH)).toBe(true);
    expect(browser.pageErrors).toEqual([]);
    expect(browser.blockedRequests).toEqual([]);
  });
});
