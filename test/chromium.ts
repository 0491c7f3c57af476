/**
 * Debian's Chromium driven by playwright-core, which brings no browser of its own, for the tests that
 * open the HTML report. Without /usr/bin/chromium those tests are skipped with a message, unless
 * BEACONHUNT_REQUIRE_CHROMIUM=1 (set by CI) makes a missing browser an error.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

if (!HAS_CHROMIUM) {
  if (process.env.BEACONHUNT_REQUIRE_CHROMIUM === '1') {
    throw new Error(
      `BEACONHUNT_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing; install the Debian package chromium`,
    );
  }
  console.warn(`skipping the HTML report browser tests: ${CHROMIUM} not found (Debian package chromium)`);
}

/**
 * Flags for a headless run as root on a machine without a network: without the background-networking
 * ones Chromium keeps trying to reach Google's update and sync hosts.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a fresh profile, and what the pages it opened tried and failed to do. */
export interface ReportBrowser {
  context: BrowserContext;
  /** Requests for anything but the report files, all aborted. */
  blockedRequests: string[];
  /** Uncaught page errors and console errors of every page opened through `open`. */
  pageErrors: string[];
  /** Opens a report file in a new page and waits until the page script has drawn it. */
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium with a new profile folder and every request but file:// ones aborted. */
export async function launchReportBrowser(viewport = { width: 1280, height: 800 }): Promise<ReportBrowser> {
  const userDataDirectory = mkdtempSync(join(tmpdir(), 'beaconhunt-chromium-'));
  // playwright-core rejects --user-data-dir in args: a persistent context takes the folder instead.
  const context = await chromium.launchPersistentContext(userDataDirectory, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: CHROMIUM_ARGS,
  });
  const blockedRequests: string[] = [];
  const pageErrors: string[] = [];
  const opened = new Set<string>();
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (opened.has(url)) {
      await route.continue();
      return;
    }
    blockedRequests.push(url);
    await route.abort();
  });

  return {
    context,
    blockedRequests,
    pageErrors,
    async open(path: string): Promise<Page> {
      const url = pathToFileURL(path).href;
      opened.add(url);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${path}: pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`${path}: console: ${message.text()}`);
      });
      page.on('request', (request) => {
        const requested = request.url();
        if (!opened.has(requested) && !blockedRequests.includes(requested)) blockedRequests.push(requested);
      });
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]');
      return page;
    },
    async close(): Promise<void> {
      await context.close();
      rmSync(userDataDirectory, { recursive: true, force: true });
    },
  };
}
