/**
 * Opens HTML reports rendered from hand-made documents in Chromium, for the cases a real capture rarely
 * has: control and bidi characters in logged strings, sub-second periods, a gap of a month, a finding
 * with one connection, and a scan with no finding.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DetectorId } from '../src/detect/registry.js';
import { renderHtmlReport } from '../src/report/html.js';
import type { ReportDocument, ReportFinding } from '../src/report/report-document.js';
import { buildCharts, type FittedPeriod } from '../src/report/series-charts.js';
import { HAS_CHROMIUM, launchReportBrowser, type ReportBrowser } from './chromium.js';

const TIMEOUT_MS = 120_000;
const START_MS = Date.UTC(2024, 3, 19, 0, 0, 0);
const DAY_MS = 86_400_000;
/** A user agent with ANSI colour and hyperlink escapes and a right-to-left override. */
const HOSTILE_AGENT =
  '\u001b[31mRED\u001b[0m Mozilla \u001b]8;;http://x\u0007link\u001b]8;;\u0007 \u202e gnp.exe';
/** A server name with Hebrew letters, which lay out right to left, and an override. */
const RTL_NAME = 'שלום\u202e.example';
/** The characters the page must never write raw, as page.js lists them. */
// eslint-disable-next-line no-control-regex -- the expression exists to find control characters.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

interface FindingOptions {
  detector?: DetectorId;
  rank?: number;
  serverName?: string;
  why?: string[];
  /** Start times, epoch ms. */
  times: number[];
  period: FittedPeriod | null;
  measures?: Record<string, number>;
}

/** Builds a report entry whose charts come from `times`, with 120 and 480 bytes per row. */
function finding(options: FindingOptions): ReportFinding {
  const { times } = options;
  const rank = options.rank ?? 1;
  const serverName = options.serverName ?? 'c2.example.com';
  return {
    summary: {
      detector: options.detector ?? 'beacon',
      rank,
      title: `10.0.0.5 → ${serverName}:443/tcp`,
      score: options.detector === 'long-connection' ? null : 0.9,
      alert: true,
      firstSeenMs: times[0]!,
      lastSeenMs: times.at(-1)!,
      sourceIp: '10.0.0.5',
      destinationIp: '203.0.113.7',
      destinationPort: 443,
      destinationName: serverName,
      protocol: 'tcp',
      count: times.length,
      technique: { uid: 'T1071.001', name: 'Web Protocols' },
      why: options.why ?? ['regular connections'],
    },
    finding: { rank, servername: serverName, measures: options.measures ?? {}, why: options.why ?? [] },
    hidden: false,
    charts: buildCharts(
      {
        times,
        sourceBytes: times.map(() => 120),
        destinationBytes: times.map(() => 480),
        total: times.length,
      },
      options.period,
      0,
    ),
    checks: null,
  };
}

function reportDocument(findings: ReportFinding[], detector: DetectorId = 'beacon'): ReportDocument {
  return {
    tool: { name: 'beaconhunt', version: '0.0.0-test' },
    generatedAt: '2024-04-20T00:00:00.000Z',
    detector,
    windowEnd: findings.length === 0 ? null : '2024-05-20T00:00:00.000Z',
    input: { files: 1, events: 1234, linesSkipped: 0, duplicatesDropped: 0 },
    findings,
    omitted: 0,
    hiddenTotal: 0,
  };
}

/** Returns start times `periodMs` apart, `count` of them, from START_MS. */
function beats(count: number, periodMs: number, fromMs = START_MS): number[] {
  return Array.from({ length: count }, (_, index) => fromMs + index * periodMs);
}

/** Reads the y scale of the timeline chart and the longest gap among its points. */
async function timelineScale(
  page: Page,
): Promise<{ type: string; max: number; topTick: number; longestPoint: number }> {
  return page.evaluate(() => {
    interface Chart {
      scales: { y: { type: string; max: number; ticks: { value: number }[] } };
      data: { datasets: { data: { y: number }[] }[] };
    }
    const globals = globalThis as unknown as {
      document: { querySelector(selector: string): unknown };
      Chart: { getChart(canvas: unknown): Chart | undefined };
    };
    const chart = globals.Chart.getChart(globals.document.querySelector('[data-testid="chart-timeline"]'))!;
    const { y } = chart.scales;
    return {
      type: y.type,
      max: y.max,
      topTick: Math.max(...y.ticks.map((tick) => tick.value)),
      longestPoint: Math.max(...chart.data.datasets[0]!.data.map((point) => point.y)),
    };
  });
}

describe.skipIf(!HAS_CHROMIUM)('HTML report page in Chromium', () => {
  let folder: string;
  let browser: ReportBrowser;

  /** Renders `document` to a file and opens it. */
  async function openDocument(name: string, document: ReportDocument): Promise<Page> {
    const path = join(folder, `${name}.html`);
    writeFileSync(path, renderHtmlReport(document));
    return browser.open(path);
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-report-page-'));
    browser = await launchReportBrowser();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  test(
    'control characters shown as escapes',
    async () => {
      const period = { seconds: 60, lowSeconds: 54, highSeconds: 66, label: 'period 60 s ± 6 s' };
      const page = await openDocument(
        'hostile',
        reportDocument([
          finding({
            serverName: RTL_NAME,
            why: [`rare User-Agent "${HOSTILE_AGENT}", sent by 1 source`, 'every 60 s'],
            times: beats(30, 60_000),
            period,
          }),
          finding({ rank: 2, serverName: 'plain.example', times: beats(30, 60_000), period }),
        ]),
      );

      const why = (await page.textContent('[data-testid="detail-why"]')) ?? '';
      expect(why).toContain(
        '"\\x1b[31mRED\\x1b[0m Mozilla \\x1b]8;;http://x\\x07link\\x1b]8;;\\x07 \\u202e gnp.exe"',
      );
      expect(await page.textContent('[data-testid="detail-title"]')).toContain('שלום\\u202e.example');

      // The page script builds these parts; the static markup around them has newlines of its own.
      const raw = await page.$$eval(
        '#report-facts, #findings-table tbody, #detail',
        (parts, pattern) => {
          const expression = new RegExp(pattern);
          return parts.map((part) => ({
            id: part.id || part.tagName,
            text: expression.test(part.textContent ?? ''),
            markup: expression.test(part.innerHTML),
          }));
        },
        INVISIBLE.source,
      );
      expect(raw).toHaveLength(3);
      for (const part of raw) expect(part, part.id).toEqual({ id: part.id, text: false, markup: false });

      const isolation = await page.$$eval(
        '[data-testid="cell-destination"], [data-testid="detail-why"] li, [data-testid="detail-title"]',
        (elements) => {
          // The project compiles without DOM types, so the window function is typed here.
          const { getComputedStyle } = globalThis as unknown as {
            getComputedStyle(node: unknown): { unicodeBidi: string };
          };
          return elements.map((node) => getComputedStyle(node).unicodeBidi);
        },
      );
      expect(isolation.length).toBeGreaterThan(2);
      expect(new Set(isolation)).toEqual(new Set(['isolate']));

      await page.close();
    },
    TIMEOUT_MS,
  );

  test(
    'filter matches original text',
    async () => {
      const period = { seconds: 60, lowSeconds: 54, highSeconds: 66, label: 'period 60 s ± 6 s' };
      const page = await openDocument(
        'filter',
        reportDocument([
          finding({
            serverName: RTL_NAME,
            why: [`rare User-Agent "${HOSTILE_AGENT}"`],
            times: beats(30, 60_000),
            period,
          }),
          finding({ rank: 2, serverName: 'plain.example', times: beats(30, 60_000), period }),
        ]),
      );
      const rows = page.locator('[data-testid="finding-row"]');

      for (const term of ['\u202e gnp.exe', 'שלום\u202e', '\\u202e gnp', '\\x1b[31mred']) {
        await page.fill('[data-testid="filter-text"]', term);
        expect(await rows.count(), term).toBe(1);
        expect(await rows.first().getAttribute('data-rank'), term).toBe('1');
      }

      await page.fill('[data-testid="filter-text"]', 'nothing-like-this');
      expect(await rows.count()).toBe(0);
      expect(await page.textContent('[data-testid="no-rows"]')).toBe('No finding matches the filters.');
      await page.close();
    },
    TIMEOUT_MS,
  );

  test(
    'sub-second period keeps its digits',
    async () => {
      const times = beats(200, 104).map((time, index) => time + (index % 3) * 3);
      const page = await openDocument(
        'fast',
        reportDocument([
          finding({
            times,
            period: { seconds: 0.104, lowSeconds: 0.101, highSeconds: 0.107, label: 'period 0.1 s ± 0 s' },
            measures: { periodSeconds: 0.104, jitterSeconds: 0.003 },
          }),
          finding({
            rank: 2,
            times: beats(20, 7188_000),
            period: { seconds: 7188, lowSeconds: 6731, highSeconds: 7645, label: 'period 7188 s ± 457 s' },
            measures: { periodSeconds: 7188, jitterSeconds: 457 },
          }),
        ]),
      );

      const periods = await page.$$eval('[data-testid="finding-row"] td:nth-child(8)', (cells) =>
        cells.map((cell) => cell.textContent),
      );
      expect(periods).toEqual(['104 ms ± 3 ms', '119.8 min ± 7.6 min']);

      const notes = (await page.textContent('[data-testid="detail"] .charts')) ?? '';
      expect(notes).toContain('Line P: period 104 ms; shaded band 101 ms to 107 ms.');
      expect(notes).not.toContain('± 0 s');
      expect(notes).toContain('80 bins of 5.2 ms.');
      const measures = (await page.textContent('[data-testid="evidence-measures"]')) ?? '';
      expect(measures).toContain('0.003 s (3 ms)');
      await page.close();
    },
    TIMEOUT_MS,
  );

  test(
    'timeline axis reaches longest gap',
    async () => {
      const period = { seconds: 30, lowSeconds: 29, highSeconds: 31, label: 'period 30 s ± 1 s' };
      // 300 beats, a jump of about 31 days, and 100 more beats: the log scale case.
      const jumped = [...beats(300, 30_000), ...beats(100, 30_000, START_MS + 31 * DAY_MS)];
      // Beats of 60 s with a few gaps of 19 min, under 20 times the median: the linear case.
      const linear = beats(200, 60_000).map((time, index) => time + Math.floor(index / 50) * 18 * 60_000);
      const page = await openDocument(
        'gaps',
        reportDocument([
          finding({ times: jumped, period }),
          finding({
            rank: 2,
            times: linear,
            period: { ...period, seconds: 60, lowSeconds: 58, highSeconds: 62 },
          }),
        ]),
      );

      const logarithmic = await timelineScale(page);
      expect(logarithmic.type).toBe('logarithmic');
      expect(logarithmic.longestPoint).toBeGreaterThan(30 * 86_400);
      expect(logarithmic.max).toBeGreaterThanOrEqual(logarithmic.longestPoint);
      expect(logarithmic.topTick).toBe(logarithmic.max);

      await page.click('[data-testid="finding-row"][data-rank="2"]');
      const linearScale = await timelineScale(page);
      expect(linearScale.type).toBe('linear');
      expect(linearScale.longestPoint).toBe(19 * 60);
      expect(linearScale.max).toBeGreaterThanOrEqual(linearScale.longestPoint);
      expect(linearScale.topTick).toBe(linearScale.max);
      await page.close();
    },
    TIMEOUT_MS,
  );

  test(
    'one connection shows a note',
    async () => {
      const page = await openDocument(
        'one',
        reportDocument(
          [finding({ detector: 'long-connection', times: [START_MS], period: null })],
          'long-connection',
        ),
      );

      expect(await page.textContent('[data-testid="no-gaps"]')).toBe('One connection: no gaps to chart.');
      expect(await page.locator('[data-testid="chart-timeline"]').count()).toBe(0);
      expect(await page.locator('[data-testid="chart-gaps"]').count()).toBe(0);
      expect(await page.locator('[data-testid="chart-sizes"]').count()).toBe(1);
      const charts = (await page.textContent('[data-testid="detail"] .charts')) ?? '';
      expect(charts).not.toMatch(/beacon|bins of|polls/i);
      await page.close();
    },
    TIMEOUT_MS,
  );

  test(
    'rows at one time show a note',
    async () => {
      const times = Array.from({ length: 5 }, () => START_MS);
      const page = await openDocument('together', reportDocument([finding({ times, period: null })]));

      expect(await page.textContent('[data-testid="no-gaps"]')).toBe(
        'One connection (5 rows, all at the same start time): no gaps to chart.',
      );
      expect(await page.locator('[data-testid="detail"] canvas').count()).toBe(1);
      await page.close();
    },
    TIMEOUT_MS,
  );

  test(
    'empty report names the detector',
    async () => {
      const page = await openDocument('empty', reportDocument([], 'dns-tunnel'));

      expect(await page.textContent('[data-testid="no-rows"]')).toBe(
        'The dns-tunnel detector found nothing in the 1,234 events read.',
      );
      expect(await page.textContent('[data-testid="detail-empty"]')).toBe('No finding to show.');
      expect(await page.textContent('main')).not.toContain('Change the filters');
      await page.close();

      const hidden = await openDocument('hidden', { ...reportDocument([]), hiddenTotal: 2, omitted: 0 });
      expect(await hidden.textContent('[data-testid="no-rows"]')).toBe(
        'The beacon detector lists no finding from the 1,234 events read: tuning hid 2 (scan with --show-suppressed to list them).',
      );
      await hidden.close();
    },
    TIMEOUT_MS,
  );

  test(
    'pages raise no errors',
    () => {
      expect(browser.pageErrors).toEqual([]);
      expect(browser.blockedRequests).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
