/**
 * Renders the HTML report: one file that opens without network access. Chart.js, the page's script and
 * its style are inlined, and the report document is embedded as JSON that the page script draws from.
 * A Content-Security-Policy meta tag stops the page from fetching anything, even if a string from the
 * logs managed to reach the markup.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { ReportDocument } from './report-document.js';

/** Policy of the page: inline script and style only, images only from data: URLs, no requests. */
export const REPORT_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

interface PageAssets {
  chartJs: string;
  script: string;
  style: string;
}

let cachedAssets: PageAssets | undefined;

/** Reads Chart.js's UMD build (with its MIT banner) and the page's own script and style, once per process. */
function loadAssets(): PageAssets {
  if (cachedAssets !== undefined) return cachedAssets;
  // The package's main entry (dist/chart.cjs) sits beside the UMD build in chart.js 4.
  const chartEntry = createRequire(import.meta.url).resolve('chart.js');
  const chartJs = readFileSync(join(dirname(chartEntry), 'chart.umd.min.js'), 'utf8');
  // The same relative path works from src/report (tests) and dist/report (the built CLI).
  const script = readFileSync(new URL('../../assets/report/page.js', import.meta.url), 'utf8');
  const style = readFileSync(new URL('../../assets/report/page.css', import.meta.url), 'utf8');
  cachedAssets = {
    chartJs: checkInlineText(chartJs, 'script', 'chart.umd.min.js'),
    script: checkInlineText(script, 'script', 'assets/report/page.js'),
    style: checkInlineText(style, 'style', 'assets/report/page.css'),
  };
  return cachedAssets;
}

/**
 * Returns `text` unchanged, or throws when it contains a sequence that would end its inline element
 * early (`</script`, `</style`) or switch the HTML parser into the escaped script state (`<!--`).
 */
function checkInlineText(text: string, element: 'script' | 'style', source: string): string {
  const lower = text.toLowerCase();
  for (const sequence of [`</${element}`, '<!--']) {
    if (lower.includes(sequence)) {
      throw new Error(`${source} contains "${sequence}" and cannot be inlined in a <${element}> element`);
    }
  }
  return text;
}

/**
 * Serializes `value` for a `<script type="application/json">` element. Escaping every `<` keeps any
 * string (a server name such as `</script><script>…`) from closing the element or opening a comment,
 * and escaping U+2028 and U+2029 keeps the text valid for JavaScript parsers older than ES2019.
 * JSON.parse reads the escapes back as the original characters.
 */
export function serializeReportData(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Builds the report page for `document` as one self-contained HTML string. */
export function renderHtmlReport(document: ReportDocument): string {
  const assets = loadAssets();
  const title = `beaconhunt report: ${document.detector}${document.windowEnd === null ? '' : `, window ending ${document.windowEnd}`}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${document.tool.name} ${document.tool.version}`)}">
<title>${escapeHtml(title)}</title>
<style>
${assets.style}
</style>
</head>
<body>
<header class="report-header">
<h1>beaconhunt report</h1>
<dl class="facts" id="report-facts" data-testid="report-facts"></dl>
</header>
<main>
<section class="findings" aria-labelledby="findings-heading">
<h2 id="findings-heading">Findings</h2>
<div class="filters" role="search">
<label class="filter-text">Filter <input type="search" id="filter-text" data-testid="filter-text" placeholder="address, name, reason…" autocomplete="off"></label>
<label>Minimum score <input type="number" id="filter-min-score" data-testid="filter-min-score" min="0" max="1" step="0.05" inputmode="decimal"></label>
<label class="check"><input type="checkbox" id="filter-alerts" data-testid="filter-alerts"> Alerts only</label>
<label class="check"><input type="checkbox" id="filter-hidden" data-testid="filter-hidden"> Show hidden by tuning</label>
<span class="row-count" id="row-count" data-testid="row-count" aria-live="polite"></span>
</div>
<div class="table-scroll">
<table class="findings-table" id="findings-table" data-testid="findings-table">
<thead></thead>
<tbody></tbody>
</table>
</div>
</section>
<section class="detail" id="detail" data-testid="detail" aria-label="Selected finding"></section>
</main>
<noscript><p class="noscript">This report draws its table and charts with JavaScript. Allow scripts for this file to read it.</p></noscript>
<script type="application/json" id="report-data">${serializeReportData(document)}</script>
<script>
${assets.chartJs}
</script>
<script>
${assets.script}
</script>
</body>
</html>
`;
}
