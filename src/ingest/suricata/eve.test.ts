import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import {
  cleanUpFormatTests,
  detectedFormatId,
  fixturePath,
  importForTest,
  skippedLines,
  writeTemp,
} from '../../../test/format-helpers.js';
import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { importFiles } from '../import.js';
import { isEveSample } from './eve.js';

const fixture = (name: string): string => fixturePath('suricata-eve', name);

afterEach(cleanUpFormatTests);

function eventByUid(events: readonly ConnectionEvent[], uid: string): ConnectionEvent {
  const event = events.find((candidate) => candidate.uid === uid);
  if (event === undefined) throw new Error(`no event with flow id ${uid}`);
  return event;
}

interface DnsQueryRow {
  starttime: number;
  sourceip: string;
  resolverip: string;
  query: string | null;
  qtype: string | null;
  rcode: string | null;
  answers: string[] | null;
  uid: string | null;
  transactionid: number | null;
  sourceline: number;
}

/** Imports files into a new store and returns its events and dns_queries rows. */
async function importWithDns(paths: string[]) {
  const store = await DuckDbStore.open();
  try {
    const report = await importFiles(store, paths);
    const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
    const dns = await store.all<DnsQueryRow>('SELECT * FROM dns_queries ORDER BY sourcefile, sourceline');
    const [pending] = await store.all<{ responses: number }>(
      'SELECT count(*) AS responses FROM dns_responses',
    );
    return { summary: report.summary(), events, dns, pendingResponses: pending?.responses ?? -1 };
  } finally {
    await store.close();
  }
}

/** Builds one EVE flow record; `fields` replace the top-level defaults and `flow` the flow section's. */
function flowRecord(fields: Record<string, unknown> = {}, flow: Record<string, unknown> = {}): string {
  return JSON.stringify({
    timestamp: '2024-04-19T10:00:02.000000+0000',
    flow_id: 1234567890123456,
    event_type: 'flow',
    src_ip: '10.0.0.5',
    src_port: 50000,
    dest_ip: '203.0.113.7',
    dest_port: 443,
    proto: 'TCP',
    app_proto: 'tls',
    flow: {
      pkts_toserver: 6,
      pkts_toclient: 5,
      bytes_toserver: 900,
      bytes_toclient: 4400,
      start: '2024-04-19T10:00:00.000000+0000',
      end: '2024-04-19T10:00:01.000000+0000',
      age: 1,
      state: 'closed',
      reason: 'timeout',
      alerted: false,
      ...flow,
    },
    tcp: { tcp_flags: '1b', tcp_flags_ts: '1b', tcp_flags_tc: '1b', syn: true, fin: true, ack: true },
    ...fields,
  });
}

describe('suricata-eve detection', () => {
  test('detects eve.json starting with stats', async () => {
    expect(await detectedFormatId(fixture('eve.json'))).toBe('suricata-eve');
  });

  test('detects every fixture', async () => {
    expect(await detectedFormatId(fixture('dns-versions.json'))).toBe('suricata-eve');
    expect(await detectedFormatId(fixture('malformed.json'))).toBe('suricata-eve');
  });

  test('needs a record with flow id and addresses', () => {
    const stats = '{"timestamp":"2024-04-19T10:00:00.000000+0000","event_type":"stats","stats":{"uptime":1}}';

    expect(isEveSample([stats, stats])).toBe(false);
    expect(isEveSample([stats, flowRecord()])).toBe(true);
  });

  test('first line must name event_type', () => {
    const noType = JSON.stringify({
      timestamp: '2024-04-19T10:00:00Z',
      flow_id: 1,
      src_ip: 'a',
      dest_ip: 'b',
    });

    expect(isEveSample([noType, flowRecord()])).toBe(false);
    expect(isEveSample(['not json', flowRecord()])).toBe(false);
    expect(isEveSample(['', flowRecord()])).toBe(true);
  });

  test('Zeek JSON is not taken for EVE', async () => {
    expect(await detectedFormatId(fixturePath('zeek', 'json-conn-dotted.log'))).toBe('zeek-json');
    const zeekDns = await detectedFormatId(fixturePath('zeek', 'json-dns-dotted.log'));
    expect(zeekDns).toBe('zeek-json');
  });
});

describe('suricata-eve flow records', () => {
  test('maps flow fields onto events', async () => {
    const path = fixture('eve.json');
    const { events, summary } = await importForTest([path]);

    expect(summary.eventsRead).toBe(9);
    const event = eventByUid(events, '1000000000000002');
    // flow.start 2024-04-19T12:00:05.123456+0200, with the offset applied.
    expect(event.starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 5, 123));
    expect(event.sourceip).toBe('10.0.0.5');
    expect(event.sourceport).toBe(50001);
    expect(event.destinationip).toBe('203.0.113.7');
    expect(event.destinationport).toBe(443);
    expect(event.protocol).toBe('tcp');
    expect(event.service).toBe('tls');
    expect(event.sourcebytes).toBe(1234);
    expect(event.destinationbytes).toBe(5678);
    expect(event.duration).toBe(1.5);
    expect(event.connstate).toBe('SF');
    expect(event.logsource).toBe('suricata-eve');
    expect(event.eventcount).toBe(1);
    expect(event.eventdirection).toBe('L2R');
    expect(event.sourcefile).toBe(path);
    expect(event.sourceline).toBe(4);
  });

  test('connection states from tcp flags', async () => {
    const { events } = await importForTest([fixture('eve.json')]);

    expect(eventByUid(events, '1000000000000005').connstate).toBe('S0');
    expect(eventByUid(events, '1000000000000006').connstate).toBe('REJ');
    expect(eventByUid(events, '1000000000000009').connstate).toBe('S1');
    expect(eventByUid(events, '1000000000000010').connstate).toBe('RSTO');
    expect(eventByUid(events, '1000000000000001').connstate).toBe('SF');
  });

  test('UDP, ICMP and unidentified protocols', async () => {
    const { events } = await importForTest([fixture('eve.json')]);

    const dnsFlow = eventByUid(events, '1000000000000001');
    expect(dnsFlow.protocol).toBe('udp');
    expect(dnsFlow.service).toBe('dns');
    const icmp = eventByUid(events, '1000000000000008');
    expect(icmp.protocol).toBe('icmp');
    expect(icmp.sourceport).toBeNull();
    expect(icmp.destinationport).toBeNull();
    expect(icmp.connstate).toBe('SF');
    expect(eventByUid(events, '1000000000000010').service).toBeNull();
  });

  test('IPv6 addresses become canonical text', async () => {
    const { events } = await importForTest([fixture('eve.json')]);

    const event = eventByUid(events, '1000000000000009');
    expect(event.sourceip).toBe('2001:db8::10');
    expect(event.destinationip).toBe('2001:db8:ff::1');
    expect(event.sourceline).toBe(15);
  });

  test('other event types are counted', async () => {
    const { summary } = await importForTest([fixture('eve.json')]);

    expect(summary.files[0]?.status).toBe('loaded');
    expect(summary.files[0]?.message).toBe(
      '1 http record to join by flow id; 1 tls record to join by flow id; ' +
        '1 dns query and 2 responses to name connections; ' +
        '4 records of other event types ignored',
    );
    expect(summary.linesSkipped).toBe(0);
  });

  test('file of alerts only is ignored', async () => {
    const alert = JSON.parse(flowRecord()) as Record<string, unknown>;
    alert['event_type'] = 'alert';
    const path = await writeTemp('eve.json', `${JSON.stringify(alert)}\n${JSON.stringify(alert)}\n`);

    const { summary } = await importForTest([path]);

    expect(summary.files[0]?.format).toBe('suricata-eve');
    expect(summary.files[0]?.status).toBe('ignored');
    expect(summary.files[0]?.message).toBe(
      'Suricata EVE file with no flow, http, tls or dns records: ' + '2 records of other event types ignored',
    );
  });

  test('flow_id above 2^53 is kept exactly', async () => {
    const path = await writeTemp(
      'eve.json',
      `${flowRecord().replace('1234567890123456', '9007199254740993')}\n`,
    );

    const { events } = await importForTest([path]);

    expect(events[0]?.uid).toBe('9007199254740993');
  });

  test('pretty spacing around colons loads', async () => {
    const spaced = JSON.stringify(JSON.parse(flowRecord()), null, 1).replaceAll('\n', '');
    const tls =
      '{"timestamp": "2024-04-19T10:00:00.5+00:00", "flow_id": 1234567890123456, "event_type" : "tls", ' +
      '"src_ip": "10.0.0.5", "dest_ip": "203.0.113.7", "tls": {"sni": "spaced.example.com"}}';
    const path = await writeTemp('eve.json', `${tls}\n${spaced}\n`);

    const { events } = await importForTest([path]);

    expect(events).toHaveLength(1);
    expect(events[0]?.servername).toBe('spaced.example.com');
  });
});

describe('suricata-eve protocol records', () => {
  test('tls sni names its flow', async () => {
    const { events } = await importForTest([fixture('eve.json')]);

    expect(eventByUid(events, '1000000000000003').servername).toBe('cdn.example.org');
  });

  test('http fields join by flow id', async () => {
    const { events } = await importForTest([fixture('eve.json')]);

    const event = eventByUid(events, '1000000000000004');
    expect(event.servername).toBe('update.example.org');
    expect(event.uri).toBe('/beacon?id=7');
    expect(event.useragent).toBe('agent/1.0');
    expect(event.destinationport).toBe(8080);
  });

  test('protocol records in another file join', async () => {
    const content = await readFile(fixture('eve.json'), 'utf8');
    const lines = content.trimEnd().split('\n');
    const protocolLines = lines.filter((line) => /"event_type":"(tls|http|dns)"/.test(line));
    const flowLines = lines.filter((line) => line.includes('"event_type":"flow"'));
    const first = await writeTemp('eve.json.1', `${protocolLines.join('\n')}\n`);
    const second = await writeTemp('eve.json', `${flowLines.join('\n')}\n`);

    const { events } = await importForTest([second, first]);

    expect(eventByUid(events, '1000000000000003').servername).toBe('cdn.example.org');
    expect(eventByUid(events, '1000000000000004').uri).toBe('/beacon?id=7');
    expect(eventByUid(events, '1000000000000002').servername).toBe('c2.example.com');
  });
});

describe('suricata-eve dns records', () => {
  test('query and answer merge into one row', async () => {
    const { dns, pendingResponses } = await importWithDns([fixture('eve.json')]);

    expect(pendingResponses).toBe(0);
    const query = dns.find((row) => row.query === 'c2.example.com');
    expect(query?.starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 0, 10));
    expect(query?.sourceip).toBe('10.0.0.5');
    expect(query?.resolverip).toBe('10.0.0.53');
    expect(query?.qtype).toBe('A');
    expect(query?.rcode).toBe('NOERROR');
    expect(query?.answers).toEqual(['edge.example.net', '203.0.113.7']);
    expect(query?.uid).toBe('1000000000000001');
    expect(query?.transactionid).toBe(4242);
    expect(query?.sourceline).toBe(2);
  });

  test('answer names a flow without SNI', async () => {
    const { events } = await importForTest([fixture('eve.json')]);

    expect(eventByUid(events, '1000000000000002').servername).toBe('c2.example.com');
    expect(eventByUid(events, '1000000000000001').servername).toBeNull();
  });

  test('grouped IPv6 answer names an IPv6 flow', async () => {
    const { events, dns } = await importWithDns([fixture('eve.json')]);

    const answer = dns.find((row) => row.query === 'v6.example.com');
    expect(answer?.sourceip).toBe('2001:db8::10');
    expect(answer?.resolverip).toBe('2001:db8::53');
    expect(answer?.qtype).toBe('AAAA');
    expect(answer?.answers).toEqual(['2001:db8:ff::1']);
    expect(eventByUid(events, '1000000000000009').servername).toBe('v6.example.com');
  });

  test('version 3 response comes from the resolver', async () => {
    const { dns } = await importWithDns([fixture('dns-versions.json')]);

    const row = dns.find((candidate) => candidate.query === 'v3.example.com');
    expect(row?.sourceip).toBe('10.1.0.5');
    expect(row?.resolverip).toBe('10.1.0.53');
    expect(row?.rcode).toBe('NOERROR');
    expect(row?.answers).toEqual(['192.0.2.10']);
    expect(row?.starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 0));
    expect(row?.sourceline).toBe(1);
  });

  test('version 1 answers, one record each', async () => {
    const { dns } = await importWithDns([fixture('dns-versions.json')]);

    const row = dns.find((candidate) => candidate.query === 'old.example.com');
    expect(row?.answers).toEqual(['old-cdn.example.net', '192.0.2.20']);
    expect(row?.rcode).toBe('NOERROR');
  });

  test('response without its query is kept', async () => {
    const { dns } = await importWithDns([fixture('dns-versions.json')]);

    expect(dns).toHaveLength(3);
    const row = dns.find((candidate) => candidate.query === 'missing.example.com');
    expect(row?.rcode).toBe('NXDOMAIN');
    expect(row?.answers).toEqual([]);
    expect(row?.sourceline).toBe(6);
  });

  test('version 1 answers use first record', async () => {
    const lines = (await readFile(fixture('dns-versions.json'), 'utf8')).split('\n');
    // Lines 4 and 5, the CNAME and A answer records of old.example.com, in reverse order and without
    // their query: the first record's owner name stands for the query.
    const path = await writeTemp('eve.json', `${lines[4]}\n${lines[3]}\n`);

    const { dns } = await importWithDns([path]);

    expect(dns).toHaveLength(1);
    expect(dns[0]?.query).toBe('old-cdn.example.net');
    expect(dns[0]?.answers).toEqual(['192.0.2.20', 'old-cdn.example.net']);
    expect(dns[0]?.sourceline).toBe(1);
  });

  test('names only the same client within an hour', async () => {
    const { events } = await importForTest([fixture('dns-versions.json')]);

    expect(eventByUid(events, '3000000000000010').servername).toBe('v3.example.com');
    expect(eventByUid(events, '3000000000000011').servername).toBe('old.example.com');
    // One hour and one second after the query.
    expect(eventByUid(events, '3000000000000012').servername).toBeNull();
    // Another client.
    expect(eventByUid(events, '3000000000000013').servername).toBeNull();
  });
});

describe('suricata-eve malformed records', () => {
  test('each bad line is reported once', async () => {
    const path = fixture('malformed.json');
    const { events, summary } = await importWithDns([path]);

    expect(events.map((event) => event.sourceline)).toEqual([1]);
    expect(summary.files[0]?.skipped).toBe(13);
    expect(skippedLines(summary)).toEqual([
      '2: invalid JSON',
      '3: missing event_type',
      '4: missing flow_id',
      '5: invalid or missing timestamp (flow.start)',
      '6: missing address (src_ip or dest_ip)',
      '7: invalid address (src_ip or dest_ip)',
      '8: invalid port (src_port or dest_port)',
      '9: missing or unknown dns.type',
      '10: invalid or missing timestamp (timestamp)',
      '11: timestamp out of range (flow.start before 1970 or after 9999)',
      '12: invalid JSON',
      '14: invalid JSON',
      '16: invalid address (src_ip or dest_ip)',
    ]);
    for (const sample of summary.samples) expect(sample.file).toBe(path);
  });

  test('good lines around bad ones load', async () => {
    const { dns, summary } = await importWithDns([fixture('malformed.json')]);

    expect(summary.eventsRead).toBe(1);
    expect(dns.map((row) => row.query)).toEqual(['z.example']);
    expect(dns[0]?.sourceline).toBe(15);
  });

  test('excerpt shows the cut-off line', async () => {
    const { summary } = await importForTest([fixture('malformed.json')]);

    const sample = summary.samples.find((candidate) => candidate.line === 2);
    expect(sample?.excerpt).toBe(
      '{"timestamp":"2024-04-19T10:00:02.000000+0000","flow_id":2000000000000002,"event_type":"flow",',
    );
  });

  test('invalid UTF-8 keeps line numbers', async () => {
    const lines = [flowRecord(), flowRecord({ flow_id: 2 }), flowRecord({ flow_id: 3 })].map((line) =>
      Buffer.from(`${line}\n`),
    );
    // Line 2 gets a byte that is not valid UTF-8 in its app_proto value.
    const broken = Buffer.from(lines[1] as Buffer);
    broken[broken.indexOf('"tls"') + 1] = 0xff;
    const path = await writeTemp('eve.json', Buffer.concat([lines[0] as Buffer, broken, lines[2] as Buffer]));

    const { events, summary } = await importForTest([path]);

    expect(events.map((event) => [event.uid, event.sourceline])).toEqual([
      ['1234567890123456', 1],
      ['3', 3],
    ]);
    expect(skippedLines(summary)).toEqual(['2: invalid UTF-8']);
  });

  test('gzip-compressed eve.json loads', async () => {
    const content = await readFile(fixture('eve.json'));
    const path = await writeTemp('eve.json.gz', gzipSync(content));

    const { events, summary } = await importForTest([path]);

    expect(summary.files[0]?.format).toBe('suricata-eve');
    expect(events).toHaveLength(9);
    expect(eventByUid(events, '1000000000000002').servername).toBe('c2.example.com');
  });

  test('strict mode fails on the first bad line', async () => {
    await expect(importForTest([fixture('malformed.json')], { strict: true })).rejects.toThrow(
      /malformed\.json:2: invalid JSON/,
    );
  });
});
