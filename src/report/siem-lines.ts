/**
 * Findings as one-line events for a SIEM: ArcSight CEF 0 and IBM QRadar LEEF 2.0. Both carry the same
 * fields, written from a FindingSummary: the key (source, destination, port, name), the time span, the
 * count, the detector, the ATT&CK technique, the score and the reasons.
 *
 * CEF escapes "|" and "\" in the header and "=", "\" and line breaks in values. LEEF has no escapes, so
 * values are written with tabs (its delimiter here) and line breaks replaced by spaces.
 */
import { escapeCefValue } from '../ingest/cef/parse.js';
import type { FindingSummary } from './finding-summary.js';
import { findingUid, severityId } from './ocsf.js';

const VENDOR = 'beaconhunt';
const PRODUCT = 'beaconhunt';

/** Maps the OCSF severity (1 Informational, 3 Medium, 4 High) onto CEF and LEEF's 0–10 scale. */
function severityScore(summary: FindingSummary): number {
  const severity = severityId(summary);
  if (severity >= 4) return 8;
  if (severity === 3) return 5;
  return 2;
}

/** Event fields shared by both formats, in order, as [CEF key, LEEF key, value]. Unknown values are left out. */
function eventFields(summary: FindingSummary): [string, string, string][] {
  const fields: [string, string, string | number | null][] = [
    ['rt', 'devTime', summary.lastSeenMs],
    ['start', 'startTime', summary.firstSeenMs],
    ['end', 'endTime', summary.lastSeenMs],
    ['src', 'src', summary.sourceIp],
    ['dst', 'dst', summary.destinationIp],
    ['dpt', 'dstPort', summary.destinationPort],
    ['dhost', 'dstHost', summary.destinationName],
    ['proto', 'proto', summary.protocol === null ? null : summary.protocol.toUpperCase()],
    ['cnt', 'count', summary.count],
    ['cat', 'cat', 'Command and Control'],
    ['cs1Label', 'detector', 'detector'],
    ['cs1', '', summary.detector],
    ['cs2Label', 'technique', 'technique'],
    ['cs2', '', summary.technique.uid],
    ['cs3Label', 'findingUid', 'findingUid'],
    ['cs3', '', findingUid(summary)],
    ['cfp1Label', 'score', summary.score === null ? null : 'score'],
    ['cfp1', '', summary.score],
    ['msg', 'reason', summary.why.join('; ')],
  ];
  return fields
    .filter((field): field is [string, string, string | number] => field[2] !== null)
    .map(([cef, leef, value]) => [cef, leef, String(value)]);
}

function escapeCefHeader(text: string): string {
  return text.replace(/[\\|]/g, (character) => `\\${character}`).replace(/[\r\n]+/g, ' ');
}

/** Renders one finding as a CEF 0 event. */
export function toCef(summary: FindingSummary, productVersion: string): string {
  const header = [
    'CEF:0',
    VENDOR,
    PRODUCT,
    productVersion,
    summary.detector,
    summary.title,
    String(severityScore(summary)),
  ]
    .map((field, index) => (index === 0 ? field : escapeCefHeader(field)))
    .join('|');
  const extension = eventFields(summary)
    // Readers trim values, so surrounding whitespace is trimmed here and the value reads back as written.
    .map(([key, , value]) => `${key}=${escapeCefValue(value.trim())}`)
    .join(' ');
  return `${header}|${extension}`;
}

/** Makes a LEEF attribute value safe: no tab (the delimiter), no line break, no surrounding spaces. */
function leefValue(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').trim();
}

/**
 * Renders one finding as a LEEF 2.0 event with tab-separated attributes. The CEF custom-string labels
 * become attribute names of their own (detector, technique, findingUid, score), and devTime is epoch
 * milliseconds, which QRadar reads without a devTimeFormat.
 */
export function toLeef(summary: FindingSummary, productVersion: string): string {
  const header = ['LEEF:2.0', VENDOR, PRODUCT, productVersion, summary.detector, 'x09']
    .map((field) => field.replace(/[|\r\n]/g, ' '))
    .join('|');
  const fields = eventFields(summary);
  const attributes: string[] = [`sev=${severityScore(summary)}`, `name=${leefValue(summary.title)}`];
  for (let index = 0; index < fields.length; index += 1) {
    const [cef, leef, value] = fields[index]!;
    if (leef === '') continue;
    // A label pair (cs1Label, cs1) becomes one attribute named by the label, with the next field's value.
    const isLabel = cef.endsWith('Label');
    attributes.push(`${leef}=${leefValue(isLabel ? (fields[index + 1]?.[2] ?? '') : value)}`);
  }
  return `${header}|${attributes.join('\t')}`;
}
