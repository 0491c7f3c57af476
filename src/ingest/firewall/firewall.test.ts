import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import {
  cleanUpFormatTests,
  copyFixture,
  detectedFormatId,
  fixturePath,
  importForTest,
  skippedLines,
  writeTemp,
} from '../../../test/format-helpers.js';
import { IPTABLES_REJECT, parseNetfilterRecord } from './iptables.js';
import { normaliseAddress, protocolName } from './packet.js';
import { PFSENSE_REJECT } from './pfsense.js';

afterEach(cleanUpFormatTests);

/** The fixtures' lines are from April 2024; files last written the day after. */
const FILE_TIME = new Date('2024-04-20T00:00:00Z');

describe('firewall helpers', () => {
  test('compresses IPv6 as RFC 5952 says', () => {
    expect(normaliseAddress('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normaliseAddress('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(normaliseAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(normaliseAddress('10.1.2.256')).toBeNull();
  });

  test('names protocols as the event table does', () => {
    expect(['TCP', '6', 'ICMPv6', '58', 'udp', 'UDPLITE', '47'].map(protocolName)).toEqual([
      'tcp',
      'tcp',
      'icmp',
      'icmp',
      'udp',
      'udplite',
      '47',
    ]);
  });

  test('reads netfilter fields, not the quoted packet', () => {
    const record = parseNetfilterRecord(
      'X IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=88 PROTO=ICMP TYPE=3 [SRC=5.6.7.8 DST=1.2.3.4 SPT=1 DPT=2 SYN ] MARK=0x1',
    );
    expect(record).toEqual({
      SRC: '1.2.3.4',
      DST: '5.6.7.8',
      PROTO: 'ICMP',
      syn: false,
      ack: false,
      arp: false,
    });
  });

  test('reads generated records back', () => {
    const address = fc.ipV4();
    const port = fc.integer({ min: 0, max: 65535 });
    const words = fc.subarray(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN']);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('A', ' ', ':', '[', ']') }),
        address,
        address,
        port,
        port,
        words,
        (prefix, source, destination, sourcePort, destinationPort, flags) => {
          const message = `${prefix}IN= OUT=eth0 SRC=${source} DST=${destination} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=${sourcePort} DPT=${destinationPort} WINDOW=1 RES=0x00 ${flags.map((flag) => `${flag} `).join('')}URGP=0 `;
          const record = parseNetfilterRecord(message);
          expect(record).toEqual({
            SRC: source,
            DST: destination,
            PROTO: 'TCP',
            SPT: String(sourcePort),
            DPT: String(destinationPort),
            syn: flags.includes('SYN'),
            ack: flags.includes('ACK'),
            arp: false,
          });
        },
      ),
    );
  });

  test('round-trips any IPv6 address through the kernel spelling', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((group) => group.toString(16).padStart(4, '0')).join(':');
        const short = normaliseAddress(full);
        expect(short).not.toBeNull();
        expect(normaliseAddress(short as string)).toBe(short);
      }),
    );
  });
});

describe('iptables', () => {
  test('is detected in kern.log', async () => {
    expect(await detectedFormatId(fixturePath('iptables', 'kern.log'))).toBe('iptables');
    expect(await detectedFormatId(fixturePath('iptables', 'malformed.log'))).toBe('iptables');
  });

  test('maps each logged packet', async () => {
    const path = await copyFixture('iptables', 'kern.log', FILE_TIME);
    const { summary, events } = await importForTest([path]);

    expect(summary.files[0]).toMatchObject({ format: 'iptables', status: 'loaded', events: 6, skipped: 0 });
    expect(summary.files[0]?.message).toBe('2 other syslog lines ignored');
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2),
      sourceip: '10.1.2.3',
      sourceport: 50100,
      destinationip: '203.0.113.7',
      destinationport: 443,
      protocol: 'tcp',
      connstate: 'S0',
      logsource: 'iptables:gw01',
      eventcount: 1,
      sourceline: 1,
    });
  });

  test('maps ACK, UDP, ICMP, IPv6 and ISO times', async () => {
    const path = await copyFixture('iptables', 'kern.log', FILE_TIME);
    const { events } = await importForTest([path]);

    expect(events[1]).toMatchObject({
      sourceline: 2,
      sourceip: '198.51.100.20',
      destinationport: 22,
      connstate: 'OTH',
    });
    expect(events[2]).toMatchObject({ sourceline: 4, protocol: 'udp', destinationport: 53, connstate: null });
    expect(events[3]).toMatchObject({
      sourceline: 5,
      protocol: 'icmp',
      sourceip: '203.0.113.1',
      sourceport: null,
      destinationport: null,
    });
    expect(events[4]).toMatchObject({
      sourceline: 6,
      sourceip: '2001:db8:10::3',
      destinationip: '2001:db8:feed::7',
    });
    expect(events[5]).toMatchObject({ sourceline: 7, starttime: Date.UTC(2024, 3, 19, 8, 0, 8, 123) });
  });

  test('reports malformed lines with their numbers', async () => {
    const path = await copyFixture('iptables', 'malformed.log', FILE_TIME);
    const { summary, events } = await importForTest([path]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 8]);
    expect(skippedLines(summary)).toEqual([
      `2: ${IPTABLES_REJECT.truncated}`,
      `3: ${IPTABLES_REJECT.invalidTime}`,
      `4: ${IPTABLES_REJECT.invalidSource}`,
      `5: ${IPTABLES_REJECT.invalidDestinationPort}`,
      `6: ${IPTABLES_REJECT.notSyslog}`,
      `7: ${IPTABLES_REJECT.notSyslog}`,
    ]);
  });

  test('rejects lines in another format and keeps other programs ignored', async () => {
    const netfilter = 'IN= OUT=eth0 SRC=10.1.2.3 DST=203.0.113.7 LEN=60 PROTO=TCP SPT=50100 DPT=443 SYN ';
    const content = [
      `Apr 19 10:00:02 gw01 kernel: [ 5416.642476] OUTBOUND ${netfilter}`,
      'Apr 19 10:00:03 gw01 sshd[812]: Accepted publickey for admin from 10.1.2.3 port 50122 ssh2',
      'Apr 19 10:00:04 gw01 kernel: [ 5417.000000] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex',
      '<134>Apr 19 10:00:05 gw01 CEF:0|Example|EdgeWall|5.2|100|Connection allowed|3|src=10.1.2.3 dst=203.0.113.7',
      'Apr 19 10:00:06 gw01 LEEF:1.0|Example|SecureGW|4.0|Allow|src=10.1.2.3\tdst=203.0.113.7',
      'Apr 19 10:00:07 fw filterlog[4012]: 5,,,1000000103,igb1,match,pass,out,4,0x0,,64,3117,0,DF,6,tcp,60,10.1.2.3,203.0.113.7,50100,443,0,S,1,,64240,,mss',
      'Apr 19 10:00:08 pa-fw01 1,2024/04/19 10:00:08,013201001234,TRAFFIC,end,2561,2024/04/19 10:00:08,10.1.2.3,203.0.113.7',
      'Apr 19 10:00:09 gw01 kernel: [ 5419.000000] OUTBOUND IN=eth0 OU',
      'Apr 19 10:00:10 gw01 sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>3</EventID></System></Event>',
      `Apr 19 10:00:11 gw01 kernel: ${netfilter}`,
      '',
    ].join('\n');
    const path = await writeTemp('kern.log', content, FILE_TIME);
    // The filterlog line would make the file pfSense's, so the format is named.
    const { summary, events } = await importForTest([path], { format: 'iptables' });

    expect(events.map((event) => event.sourceline)).toEqual([1, 10]);
    expect(skippedLines(summary)).toEqual([
      '4: line is not iptables: CEF event',
      '5: line is not iptables: LEEF event',
      '6: line is not iptables: pfSense filterlog record',
      '7: line is not iptables: PAN-OS log record',
      `8: ${IPTABLES_REJECT.damaged}`,
      '9: line is not iptables: Sysmon event XML',
    ]);
    expect(summary.files[0]?.message).toBe('2 other syslog lines ignored');
    await expect(importForTest([path], { format: 'iptables', strict: true })).rejects.toThrow(/kern\.log:4/);
  });

  test('puts December lines of a January file in the year before', async () => {
    const lines = ['Dec 31 23:59:58', 'Jan  1 00:00:05'].map(
      (time) =>
        `${time} gw01 kernel: IN= OUT=eth0 SRC=10.1.2.3 DST=203.0.113.7 LEN=60 PROTO=TCP SPT=1 DPT=443 SYN `,
    );
    const path = await writeTemp('kern.log', lines.join('\n'), new Date('2025-01-01T00:10:00Z'));
    const { events } = await importForTest([path]);

    expect(events.map((event) => event.starttime)).toEqual([
      Date.UTC(2024, 11, 31, 23, 59, 58),
      Date.UTC(2025, 0, 1, 0, 0, 5),
    ]);
  });
});

describe('pfsense-filterlog', () => {
  test('is detected in filter.log', async () => {
    expect(await detectedFormatId(fixturePath('pfsense-filterlog', 'filter.log'))).toBe('pfsense-filterlog');
    expect(await detectedFormatId(fixturePath('pfsense-filterlog', 'malformed.log'))).toBe(
      'pfsense-filterlog',
    );
  });

  test('maps each logged packet', async () => {
    const path = await copyFixture('pfsense-filterlog', 'filter.log', FILE_TIME);
    const { summary, events } = await importForTest([path]);

    expect(summary.files[0]).toMatchObject({
      format: 'pfsense-filterlog',
      status: 'loaded',
      events: 5,
      skipped: 0,
    });
    expect(summary.files[0]?.message).toBe('1 line from another program ignored');
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2),
      sourceip: '10.1.2.3',
      sourceport: 50100,
      destinationip: '203.0.113.7',
      destinationport: 443,
      protocol: 'tcp',
      sourcebytes: 0,
      connstate: 'SF',
      logsource: 'pfsense-filterlog:fw',
      sourceline: 1,
    });
  });

  test('maps block, IPv6, reject and RFC 5424', async () => {
    const path = await copyFixture('pfsense-filterlog', 'filter.log', FILE_TIME);
    const { events } = await importForTest([path]);

    expect(events[1]).toMatchObject({
      protocol: 'udp',
      connstate: 'S0',
      destinationport: 53,
      sourcebytes: 52,
    });
    expect(events[2]).toMatchObject({
      sourceip: '2001:db8:10::3',
      destinationip: '2001:db8:feed::7',
      sourceport: 50200,
    });
    expect(events[3]).toMatchObject({
      protocol: 'icmp',
      connstate: 'REJ',
      sourceport: null,
      destinationport: null,
    });
    expect(events[4]).toMatchObject({
      sourceline: 6,
      starttime: Date.UTC(2024, 3, 19, 10, 0, 7, 123),
      sourcebytes: 517,
      logsource: 'pfsense-filterlog:fw.example.local',
    });
  });

  test('rejects lines in another format and keeps other programs ignored', async () => {
    const filterlog =
      'filterlog[4012]: 5,,,1000000103,igb1,match,pass,out,4,0x0,,64,3117,0,DF,6,tcp,60,10.1.2.3,203.0.113.7,50100,443,0,S,1,,64240,,mss';
    const content = [
      `Apr 19 10:00:02 fw ${filterlog}`,
      'Apr 19 10:00:03 fw dhcpd[999]: DHCPACK on 10.1.2.3 to 52:54:00:12:34:56 via igb1',
      'Apr 19 10:00:04 fw kernel: OUTBOUND IN= OUT=igb1 SRC=10.1.2.3 DST=203.0.113.7 LEN=60 PROTO=TCP SPT=1 DPT=443 SYN ',
      '<134>1 2024-04-19T10:00:05Z fw edgewall 811 - - CEF:0|Example|EdgeWall|5.2|100|Allowed|3|src=10.1.2.3 dst=203.0.113.7',
      `Apr 19 10:00:06 fw ${filterlog}`,
      '',
    ].join('\n');
    const path = await writeTemp('filter.log', content, FILE_TIME);
    const { summary, events } = await importForTest([path]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 5]);
    expect(skippedLines(summary)).toEqual([
      '3: line is not pfSense filterlog: netfilter LOG record',
      '4: line is not pfSense filterlog: CEF event',
    ]);
    expect(summary.files[0]?.message).toBe('1 line from another program ignored');
    await expect(importForTest([path], { strict: true })).rejects.toThrow(/filter\.log:3/);
  });

  test('reports malformed lines with their numbers', async () => {
    const path = await copyFixture('pfsense-filterlog', 'malformed.log', FILE_TIME);
    const { summary, events } = await importForTest([path]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 8]);
    expect(skippedLines(summary)).toEqual([
      `2: ${PFSENSE_REJECT.invalidIpVersion}`,
      `3: ${PFSENSE_REJECT.tooFewFields}`,
      `4: ${PFSENSE_REJECT.invalidSource}`,
      `5: ${PFSENSE_REJECT.invalidDestinationPort}`,
      `6: ${PFSENSE_REJECT.invalidTime}`,
      `7: ${PFSENSE_REJECT.notSyslog}`,
    ]);
  });
});
