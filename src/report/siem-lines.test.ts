/**
 * CEF and LEEF lines read back by beaconhunt's own CEF and LEEF readers: every field survives, whatever
 * pipes, backslashes, equals signs, tabs and line breaks the names and reasons contain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SUMMARY } from '../../test/finding-summary-fixture.js';
import { parseCefExtension, parseCefHeader } from '../ingest/cef/parse.js';
import { parseLeefAttributes, parseLeefHeader } from '../ingest/leef/parse.js';
import { findingUid } from './ocsf.js';
import { toCef, toLeef } from './siem-lines.js';

function readCef(line: string): { name: string; severity: string; fields: Map<string, string> } {
  const header = parseCefHeader(line, 0);
  if ('reject' in header) throw new Error(header.reject);
  const fields = parseCefExtension(line.slice(header.extensionStart));
  if ('reject' in fields) throw new Error(fields.reject);
  return { name: header.name, severity: header.severity, fields };
}

function readLeef(line: string): { eventId: string; fields: Map<string, string> } {
  const header = parseLeefHeader(line, 0);
  if ('reject' in header) throw new Error(header.reject);
  return {
    eventId: header.eventId,
    fields: parseLeefAttributes(line.slice(header.attributesStart), header.delimiter),
  };
}

describe('toCef', () => {
  it('writes the exact event', () => {
    expect(toCef(SUMMARY, '1.2.3')).toBe(
      'CEF:0|beaconhunt|beaconhunt|1.2.3|beacon|10.0.0.5 → 203.0.113.7:443/tcp: every 60 s|8|' +
        'rt=1700003600000 start=1700000000000 end=1700003600000 src=10.0.0.5 dst=203.0.113.7 dpt=443 ' +
        'dhost=cdn.example.net proto=TCP cnt=61 cat=Command and Control cs1Label=detector cs1=beacon ' +
        `cs2Label=technique cs2=T1071.001 cs3Label=findingUid cs3=${findingUid(SUMMARY)} ` +
        'cfp1Label=score cfp1=0.82 msg=every 60 s; steady size 320 B',
    );
  });

  it('leaves out unknown fields and maps severity', () => {
    const line = toCef({ ...SUMMARY, score: null, alert: false, destinationName: null, count: null }, '1');
    const { severity, fields } = readCef(line);
    expect(severity).toBe('2');
    expect(fields.has('dhost')).toBe(false);
    expect(fields.has('cnt')).toBe(false);
    expect(fields.has('cfp1')).toBe(false);
  });
});

describe('toLeef', () => {
  it('writes tab-separated attributes after a LEEF 2.0 header', () => {
    const line = toLeef(SUMMARY, '1.2.3');
    expect(line.startsWith('LEEF:2.0|beaconhunt|beaconhunt|1.2.3|beacon|x09|sev=8\tname=')).toBe(true);
    const { eventId, fields } = readLeef(line);
    expect(eventId).toBe('beacon');
    expect(Object.fromEntries(fields)).toEqual({
      sev: '8',
      name: SUMMARY.title,
      devTime: '1700003600000',
      startTime: '1700000000000',
      endTime: '1700003600000',
      src: '10.0.0.5',
      dst: '203.0.113.7',
      dstPort: '443',
      dstHost: 'cdn.example.net',
      proto: 'TCP',
      count: '61',
      cat: 'Command and Control',
      detector: 'beacon',
      technique: 'T1071.001',
      findingUid: findingUid(SUMMARY),
      score: '0.82',
      reason: 'every 60 s; steady size 320 B',
    });
  });
});

describe('CEF and LEEF read back', () => {
  const awkward = fc.string({
    unit: fc.constantFrom('a', ' ', '|', '\\', '=', '\t', '\n', '\r', 'é', '→'),
    maxLength: 30,
  });

  it('keeps every value through the CEF reader', () => {
    fc.assert(
      fc.property(awkward, awkward, awkward, (title, reason, name) => {
        const summary = { ...SUMMARY, title: `t${title}`, why: [reason], destinationName: `n${name}` };
        const { name: readName, fields } = readCef(toCef(summary, '1'));
        expect(readName).toBe(summary.title.replace(/[\r\n]+/g, ' '));
        expect(fields.get('msg')).toBe(reason.trim());
        expect(fields.get('dhost')).toBe(summary.destinationName.trim());
        expect(fields.get('src')).toBe('10.0.0.5');
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('keeps every LEEF value, tabs and line breaks read as spaces', () => {
    fc.assert(
      fc.property(awkward, awkward, (title, reason) => {
        const summary = { ...SUMMARY, title: `t${title}`, why: [`r${reason}`] };
        const { fields } = readLeef(toLeef(summary, '1'));
        expect(fields.get('name')).toBe(summary.title.replace(/[\t\r\n]+/g, ' ').trim());
        expect(fields.get('reason')).toBe(`r${reason}`.replace(/[\t\r\n]+/g, ' ').trim());
        expect(fields.get('dst')).toBe('203.0.113.7');
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});
