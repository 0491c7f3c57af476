import { describe, expect, test } from 'vitest';

import { REPORT_CSP, renderHtmlReport, serializeReportData } from './html.js';
import type { ReportDocument, ReportFinding } from './report-document.js';
import { buildCharts } from './series-charts.js';

const HOSTILE_NAME = '</script><script>alert(1)</script>\u2028line\u2029<!--';
const START_MS = Date.UTC(2024, 3, 19, 0, 0, 0);

/** Builds a beacon finding every 60 s with `connections` rows, named `serverName`. */
function beaconFinding(
  rank: number,
  serverName: string,
  connections: number,
  hidden: boolean,
): ReportFinding {
  const times = Array.from({ length: connections }, (_, index) => START_MS + index * 60_000);
  const period = { seconds: 60, lowSeconds: 54, highSeconds: 66, label: 'period 60 s ± 6 s' };
  return {
    summary: {
      detector: 'beacon',
      rank,
      title: `10.0.0.5 → ${serverName}:443/tcp: every 60 s ± 6 s`,
      score: 0.8 - rank / 10,
      alert: !hidden,
      firstSeenMs: times[0]!,
      lastSeenMs: times.at(-1)!,
      sourceIp: '10.0.0.5',
      destinationIp: '203.0.113.7',
      destinationPort: 443,
      destinationName: serverName,
      protocol: 'tcp',
      count: connections,
      technique: { uid: 'T1071.001', name: 'Web Protocols' },
      why: ['every 60 s ± 6 s', `server name ${serverName}`],
    },
    finding: {
      rank,
      key: 'server-name',
      label: serverName,
      sourceip: '10.0.0.5',
      servername: serverName,
      measures: { periodSeconds: 60, jitterSeconds: 6 },
      parts: { regularity: 0.9 },
      suppression: hidden ? { rule: 'allow cdn', reason: 'known CDN', matched: serverName } : null,
      why: ['every 60 s ± 6 s'],
    },
    hidden,
    charts: buildCharts(
      {
        times,
        sourceBytes: times.map(() => 120),
        destinationBytes: times.map(() => 480),
        total: connections,
      },
      period,
      0,
    ),
    checks: [
      {
        rule: 'allow cdn',
        reason: 'known CDN',
        outcome: hidden ? 'hid' : 'passed',
        detail: hidden ? `name ${serverName} matches` : 'name outside the rule',
      },
    ],
  };
}

function reportDocument(findings: ReportFinding[]): ReportDocument {
  return {
    tool: { name: 'beaconhunt', version: '0.0.0-test' },
    generatedAt: '2024-04-20T00:00:00.000Z',
    detector: 'beacon',
    windowEnd: '2024-04-19T01:00:00.000Z',
    input: { files: 1, events: 130, linesSkipped: 2, duplicatesDropped: 0 },
    findings,
    omitted: 3,
    hiddenTotal: 1,
  };
}

/** Returns the text of the `<script type="application/json" id="report-data">` element as a parser finds it. */
function embeddedData(html: string): string {
  const opening = '<script type="application/json" id="report-data">';
  const start = html.indexOf(opening);
  expect(start).toBeGreaterThan(0);
  // An HTML parser ends script data at the first "</script" whatever follows inside the JSON.
  const end = html.toLowerCase().indexOf('</script', start + opening.length);
  return html.slice(start + opening.length, end);
}

describe('renderHtmlReport', () => {
  test('renders a small document', () => {
    const document = reportDocument([beaconFinding(1, 'c2.example.com', 20, false)]);
    const html = renderHtmlReport(document);

    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(
      '<title>beaconhunt report: beacon, window ending 2024-04-19T01:00:00.000Z</title>',
    );
    expect(html).toContain('data-testid="findings-table"');
    expect(html).toContain('data-testid="filter-text"');
    expect(JSON.parse(embeddedData(html))).toEqual(document);
  });

  test('embedded server name cannot escape', () => {
    const document = reportDocument([
      beaconFinding(1, HOSTILE_NAME, 20, false),
      beaconFinding(2, `x${HOSTILE_NAME}`, 10, true),
    ]);
    const html = renderHtmlReport(document);
    const data = embeddedData(html);

    expect(JSON.parse(data)).toEqual(document);
    expect(data).not.toContain('<');
    expect(data).not.toContain('\u2028');
    expect(data).not.toContain('\u2029');
    expect(html).not.toContain('<script>alert(1)');
    // Chart.js, the page script and the data: nothing else opens a script element.
    expect(html.match(/<script\b/gi)).toHaveLength(3);
  });

  test('page carries the content security policy', () => {
    const html = renderHtmlReport(reportDocument([]));
    const meta = `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`;

    expect(REPORT_CSP).toBe(
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:",
    );
    expect(html).toContain(meta);
    expect(html.indexOf(meta)).toBeLessThan(html.indexOf('<style>'));
    expect(html.indexOf(meta)).toBeLessThan(html.indexOf('<script'));
  });

  test('page inlines Chart.js and its assets', () => {
    const html = renderHtmlReport(reportDocument([]));

    expect(html).toMatch(/\* Chart\.js v4\.\d+\.\d+/);
    expect(html).toContain('Released under the MIT License');
    expect(html).toContain("getElementById('report-data')");
    expect(html).toContain('.findings-table');
  });

  test('page references no external URL', () => {
    const html = renderHtmlReport(reportDocument([beaconFinding(1, 'https://c2.example.com/x', 20, false)]));
    const references = [...html.matchAll(/\b(?:src|href|action|poster|srcset)\s*=\s*["']?([^"'\s>]*)/gi)].map(
      (match) => match[1] ?? '',
    );

    for (const reference of references) {
      expect(reference).not.toMatch(/^(?:https?:|\/\/)/i);
    }
    expect(html).not.toMatch(/<(?:link|img|iframe|object|embed)\b/i);
  });

  test('control characters reach the page unchanged', () => {
    // The page escapes these only when it writes them, so that its filter matches the logged text.
    const agent = '\u001b[31mRED\u001b[0m Mozilla \u202e gnp.exe\u0085\u2066x\u2069';
    const finding = beaconFinding(1, 'שלום\u202e.example', 20, false);
    finding.summary.why.push(`rare User-Agent "${agent}"`);
    const document = reportDocument([finding]);
    const html = renderHtmlReport(document);
    const parsed = JSON.parse(embeddedData(html)) as ReportDocument;

    expect(parsed.findings[0]!.summary.why).toContain(`rare User-Agent "${agent}"`);
    expect(parsed.findings[0]!.summary.destinationName).toBe('שלום\u202e.example');
    expect(html).toContain('function displayText(text)');
  });

  test('report without findings renders', () => {
    const document: ReportDocument = { ...reportDocument([]), windowEnd: null, hiddenTotal: 0, omitted: 0 };
    const html = renderHtmlReport(document);

    expect(html).toContain('<title>beaconhunt report: beacon</title>');
    expect(JSON.parse(embeddedData(html))).toEqual(document);
  });
});

describe('serializeReportData', () => {
  test('escapes markup and line separators', () => {
    const value = { name: HOSTILE_NAME };
    const text = serializeReportData(value);

    expect(text).toBe(
      '{"name":"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\\u2028line\\u2029\\u003c!--"}',
    );
    expect(JSON.parse(text)).toEqual(value);
  });
});
