/**
 * Opens the HTML report of every detector in Chromium, made from simulated traffic that gives each
 * detector findings, and selects every finding in turn. Each detail panel must draw without a page
 * error, with its charts when the report contains them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ReportDocument } from '../src/report/report-document.js';
import { simulate } from '../src/simulate/simulate.js';
import { HAS_CHROMIUM, launchReportBrowser, type ReportBrowser } from './chromium.js';
import { beaconhunt } from './run-cli.js';

const DETECTORS = ['beacon', 'qradar-t1071', 'long-connection', 'dns-tunnel'] as const;
/** Detectors whose chart captions may speak of beacons. */
const PERIODIC_DETECTORS = new Set<string>(['beacon', 'qradar-t1071']);
const TIMEOUT_MS = 300_000;

describe.skipIf(!HAS_CHROMIUM)('HTML report of every detector', () => {
  let folder: string;
  let browser: ReportBrowser;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-report-detectors-'));
    simulate({ out: join(folder, 'simulated'), seed: 3, formats: ['zeek-tsv'] });
    browser = await launchReportBrowser();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  test.each(DETECTORS)(
    '%s detail panels draw',
    async (detector) => {
      const path = join(folder, `${detector}.html`);
      const outcome = await beaconhunt(
        'scan',
        join(folder, 'simulated'),
        '-d',
        detector,
        '--html',
        path,
        '--quiet',
      );
      expect(outcome.code, outcome.stderr).toBe(0);

      const page = await browser.open(path);
      const document = JSON.parse((await page.textContent('#report-data')) ?? '') as ReportDocument;
      expect(document.findings.length).toBeGreaterThan(0);
      // Hidden findings are rows too once shown; beacon is the only detector with tuning.
      if (document.findings.some((finding) => finding.hidden))
        await page.check('[data-testid="filter-hidden"]');

      const rows = page.locator('[data-testid="finding-row"]');
      expect(await rows.count()).toBe(document.findings.length);
      for (let index = 0; index < document.findings.length; index += 1) {
        const row = rows.nth(index);
        await row.click();
        const entry = document.findings[Number(await row.getAttribute('data-index'))]!;
        expect(await page.textContent('[data-testid="detail-title"]')).toContain(entry.summary.sourceIp);
        const canvases = await page.locator('[data-testid="detail"] canvas').count();
        if (entry.charts !== null) {
          // DNS queries carry no byte counts, so their panel has no sizes chart.
          const { sourceBytes, destinationBytes } = entry.charts.sizes;
          const sized = [...sourceBytes, ...destinationBytes].some((bytes) => bytes !== null);
          // Fewer than two start times leave no gap, so a note replaces the timeline and histogram.
          const gapped = entry.charts.connections > 1;
          expect(canvases, entry.summary.title).toBe((gapped ? 2 : 0) + (sized ? 1 : 0));
          expect(await page.locator('[data-testid="no-gaps"]').count(), entry.summary.title).toBe(
            gapped ? 0 : 1,
          );
          const captions = (await page.textContent('[data-testid="detail"] .charts')) ?? '';
          if (!PERIODIC_DETECTORS.has(detector))
            expect(captions, entry.summary.title).not.toMatch(/beacon|polls/i);
        }
      }

      expect(browser.pageErrors).toEqual([]);
      expect(browser.blockedRequests).toEqual([]);
      await page.close();
    },
    TIMEOUT_MS,
  );
});
