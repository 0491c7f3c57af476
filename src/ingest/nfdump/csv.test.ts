import { afterEach, describe, expect, test } from 'vitest';

import {
  cleanUpFormatTests,
  detectedFormatId,
  fixturePath,
  importForTest,
  skippedLines,
  writeTemp,
} from '../../../test/format-helpers.js';
import { locateNfdumpColumns, NFDUMP_REJECT } from './csv.js';

afterEach(cleanUpFormatTests);

const fixture = (name: string): string => fixturePath('nfdump-csv', name);

describe('nfdump-csv detection', () => {
  test('detects the classic and the 1.7.5 header', async () => {
    expect(await detectedFormatId(fixture('classic.csv'))).toBe('nfdump-csv');
    expect(await detectedFormatId(fixture('nfdump-1.7.5.csv'))).toBe('nfdump-csv');
    expect(await detectedFormatId(fixture('malformed.csv'))).toBe('nfdump-csv');
  });

  test('ignores CSV without flow columns', async () => {
    const path = await writeTemp('other.csv', 'time,src,dst\n1,10.0.0.1,10.0.0.2\n');
    expect(await detectedFormatId(path)).toBeNull();
  });

  test('locates columns under either name', () => {
    const classic = locateNfdumpColumns(['ts', 'te', 'td', 'sa', 'da', 'sp', 'dp', 'pr']);
    const current = locateNfdumpColumns(['firstSeen', 'duration', 'proto', 'srcAddr', 'srcPort', 'dstAddr']);

    expect(classic).toMatchObject({ start: 0, duration: 2, sourceAddress: 3, protocol: 7, flows: -1 });
    expect(current).toMatchObject({ start: 0, duration: 1, sourceAddress: 3, destinationAddress: 5 });
  });
});

describe('nfdump-csv load', () => {
  test('maps a classic record', async () => {
    const { summary, events } = await importForTest([fixture('classic.csv')]);

    expect(summary.files[0]).toMatchObject({ format: 'nfdump-csv', status: 'loaded', events: 5, skipped: 0 });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2),
      sourceip: '10.1.2.3',
      sourceport: 50100,
      destinationip: '203.0.113.7',
      destinationport: 443,
      protocol: 'tcp',
      sourcebytes: 1000,
      destinationbytes: 0,
      duration: 0.12,
      connstate: null,
      eventcount: 1,
      logsource: 'nfdump-csv:192.0.2.1',
      sourceline: 2,
    });
  });

  test('reads SYN-only flows, UDP, ICMP and IPv6', async () => {
    const { events } = await importForTest([fixture('classic.csv')]);

    expect(events[1]).toMatchObject({ connstate: 'S0', destinationport: 8443 });
    expect(events[2]).toMatchObject({ protocol: 'udp', destinationport: 53, destinationbytes: 120 });
    expect(events[3]).toMatchObject({ protocol: 'icmp', sourceport: null, destinationport: null });
    expect(events[4]).toMatchObject({
      sourceip: '2001:db8::5',
      destinationip: '2001:db8:feed::7',
      logsource: 'nfdump-csv',
    });
  });

  test('passes over the summary block', async () => {
    const { summary, events } = await importForTest([fixture('classic.csv')]);

    expect(events.map((event) => event.sourceline)).toEqual([2, 3, 4, 5, 6]);
    expect(summary.linesSkipped).toBe(0);
  });

  test('maps the 1.7.5 header', async () => {
    const { summary, events } = await importForTest([fixture('nfdump-1.7.5.csv')]);

    expect(summary.files[0]).toMatchObject({ events: 4, skipped: 0 });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2, 250),
      protocol: 'tcp',
      sourceport: 50100,
      destinationport: 443,
      sourcebytes: 1000,
      destinationbytes: null,
      eventcount: 1,
    });
    expect(events[1]?.eventcount).toBe(3);
    expect(events[2]).toMatchObject({ protocol: 'icmp', destinationport: null });
    expect(events[3]).toMatchObject({ protocol: 'udp', sourceip: '2001:db8::5' });
  });

  test('reports malformed lines with their numbers', async () => {
    const { summary, events } = await importForTest([fixture('malformed.csv')]);

    expect(events.map((event) => event.sourceline)).toEqual([2]);
    expect(skippedLines(summary)).toEqual([
      `3: ${NFDUMP_REJECT.wrongFieldCount}`,
      `4: ${NFDUMP_REJECT.invalidStart}`,
      `5: ${NFDUMP_REJECT.invalidStart}`,
      `6: ${NFDUMP_REJECT.invalidSource}`,
      `7: ${NFDUMP_REJECT.invalidDestination}`,
      `8: ${NFDUMP_REJECT.invalidDestinationPort}`,
      `9: ${NFDUMP_REJECT.unbalancedQuotes}`,
      `10: ${NFDUMP_REJECT.wrongFieldCount}`,
    ]);
  });

  test('reads epoch times of the raw and fast outputs', async () => {
    const csv = [
      'firstSeen,srcAddr,dstAddr,dstPort',
      '1713520802.250,10.1.2.3,203.0.113.7,443',
      '1713520803250,10.1.2.3,203.0.113.7,443',
    ].join('\n');
    const { events } = await importForTest([await writeTemp('raw.csv', csv)]);

    expect(events.map((event) => event.starttime)).toEqual([1713520802250, 1713520803250]);
  });
});
