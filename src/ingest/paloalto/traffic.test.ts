import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import {
  cleanUpFormatTests,
  detectedFormatId,
  fixturePath,
  importForTest,
  skippedLines,
  writeTemp,
} from '../../../test/format-helpers.js';
import { isPanosRecord, PALOALTO_REJECT } from './traffic.js';

afterEach(cleanUpFormatTests);

const fixture = (name: string): string => fixturePath('paloalto-traffic', name);

describe('paloalto-traffic detection', () => {
  test('detects the fixtures', async () => {
    expect(await detectedFormatId(fixture('traffic.log'))).toBe('paloalto-traffic');
    expect(await detectedFormatId(fixture('malformed.log'))).toBe('paloalto-traffic');
  });

  test('detects a record without a syslog header', async () => {
    const path = await writeTemp(
      'pa.csv',
      '1,2024/04/19 10:00:05,0132,SYSTEM,general,0,2024/04/19 10:00:05,,x\n',
    );
    expect(await detectedFormatId(path)).toBe('paloalto-traffic');
  });

  test('rejects other comma-separated text', () => {
    expect(isPanosRecord('a,b,c,d,e,f,g')).toBe(false);
    expect(isPanosRecord('1,2024-04-19 10:00:05,0132,TRAFFIC,end,0,x')).toBe(false);
    expect(isPanosRecord('1,2024/04/19 10:00:05,0132,traffic,end,0,x')).toBe(false);
  });

  test('never throws on any line', () => {
    fc.assert(fc.property(fc.string(), (line) => typeof isPanosRecord(line) === 'boolean'));
  });
});

describe('paloalto-traffic load', () => {
  test('maps a TRAFFIC end record', async () => {
    const { summary, events } = await importForTest([fixture('traffic.log')]);

    expect(summary.files[0]).toMatchObject({
      format: 'paloalto-traffic',
      status: 'loaded',
      events: 6,
      skipped: 0,
    });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2),
      sourceip: '10.1.2.3',
      sourceport: 50100,
      destinationip: '203.0.113.7',
      destinationport: 443,
      username: 'example\\alice',
      protocol: 'tcp',
      service: 'ssl',
      sourcebytes: 1000,
      destinationbytes: 5120,
      duration: 3,
      connstate: 'SF',
      logsource: 'paloalto-traffic:pa-fw01',
      eventcount: 1,
      sourceline: 1,
    });
  });

  test('passes over session starts and other log types', async () => {
    const { summary, events } = await importForTest([fixture('traffic.log')]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 3, 4, 5, 7, 8]);
    expect(summary.files[0]?.message).toBe('2 records of other log types or session starts ignored');
  });

  test('maps actions and end reasons to connstate', async () => {
    const { events } = await importForTest([fixture('traffic.log')]);
    const states = Object.fromEntries(events.map((event) => [event.sourceline, event.connstate]));

    expect(states).toEqual({ 1: 'SF', 3: 'REJ', 4: 'S0', 5: 'REJ', 7: 'SF', 8: 'RSTR' });
  });

  test('falls back to the serial number without a device name', async () => {
    const { events } = await importForTest([fixture('traffic.log')]);

    expect(events[2]).toMatchObject({ sourceline: 4, logsource: 'paloalto-traffic:013201001234' });
  });

  test('reads an empty Source User as null', async () => {
    const { events } = await importForTest([fixture('traffic.log')]);

    expect(events[1]).toMatchObject({ sourceline: 3, username: null, service: 'incomplete' });
  });

  test('reads IPv6, RFC 5424 headers and extra trailing fields', async () => {
    const { events } = await importForTest([fixture('traffic.log')]);

    expect(events[3]).toMatchObject({
      sourceline: 5,
      sourceip: '2001:db8:10::3',
      destinationip: '2001:db8:feed::7',
      starttime: Date.UTC(2024, 3, 19, 10, 3, 1),
    });
  });

  test('gives ICMP no ports and reads a quoted rule name', async () => {
    const { events } = await importForTest([fixture('traffic.log')]);

    expect(events[4]).toMatchObject({
      sourceline: 7,
      protocol: 'icmp',
      sourceport: null,
      destinationport: null,
      service: 'ping',
      duration: 6,
    });
  });

  test('reports malformed lines with their numbers', async () => {
    const { summary, events } = await importForTest([fixture('malformed.log')]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 11]);
    expect(skippedLines(summary)).toEqual([
      `2: ${PALOALTO_REJECT.tooFewFields}`,
      `3: ${PALOALTO_REJECT.invalidTime}`,
      `4: ${PALOALTO_REJECT.invalidSource}`,
      `5: ${PALOALTO_REJECT.invalidDestination}`,
      `6: ${PALOALTO_REJECT.invalidDestinationPort}`,
      `7: ${PALOALTO_REJECT.unbalancedQuotes}`,
      `9: ${PALOALTO_REJECT.notPanos}`,
      `10: ${PALOALTO_REJECT.notPanos}`,
    ]);
  });

  test('uses Receive Time without a Start Time', async () => {
    const { events } = await importForTest([fixture('malformed.log')]);

    expect(events[1]?.starttime).toBe(Date.UTC(2024, 3, 19, 11, 0, 7));
  });

  test('lists a file without traffic records as ignored', async () => {
    const threat = '1,2024/04/19 10:03:30,0132,THREAT,url,0,2024/04/19 10:03:30,10.1.2.3,203.0.113.7\n';
    const { summary } = await importForTest([await writeTemp('threat.log', threat)]);

    expect(summary.files[0]).toMatchObject({ status: 'ignored', events: 0 });
    expect(summary.files[0]?.message).toBe('no TRAFFIC end records among 1 PAN-OS records');
  });
});
