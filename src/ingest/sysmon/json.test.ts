import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

import type { ConnectionEvent } from '../../model/event.js';
import { LocalNetworks } from '../../net/locality.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { IngestReport } from '../report.js';
import { sniffFile } from '../sniff.js';
import { sysmonJsonFormat } from './json.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string): string => join(REPO_ROOT, 'test/fixtures/sysmon', name);

/** OTRF Security-Datasets' Empire PSRemoting capture, kept beside the repository and never copied into it. */
const EMPIRE_HOST_ZIP = resolve(REPO_ROOT, '../shared/data/sysmon/otrf-empire-psremoting/host.zip');
const HAVE_CAPTURE = existsSync(EMPIRE_HOST_ZIP);
if (!HAVE_CAPTURE) console.warn(`skipping the Sysmon capture test: ${EMPIRE_HOST_ZIP} not found`);

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function load(path: string) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = new IngestReport();
  const sample = await sniffFile(path);
  const result = await sysmonJsonFormat.load({ store, sample, report, localNetworks: new LocalNetworks() });
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { result, report, events };
}

describe('sysmon-json detection', () => {
  test('detects NXLog and winlogbeat lines', async () => {
    expect(detectFormat(await sniffFile(fixture('nxlog-events.jsonl')))?.id).toBe('sysmon-json');
    expect(detectFormat(await sniffFile(fixture('winlogbeat.jsonl')))?.id).toBe('sysmon-json');
  });

  test('rejects Zeek and QRadar JSON', async () => {
    const zeek = fileURLToPath(new URL('../../../test/fixtures/qradar/ariel-events.json', import.meta.url));
    expect(sysmonJsonFormat.detect(await sniffFile(zeek))).toBe(false);
  });
});

describe('sysmon-json load', () => {
  test('maps NXLog Event ID 3 records', async () => {
    const { result, events } = await load(fixture('nxlog-events.jsonl'));
    expect(result).toEqual({
      status: 'loaded',
      events: 4,
      skipped: 0,
      message: '4 non-network events ignored',
    });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2, 250),
      sourceip: '10.1.2.3',
      sourceport: 50100,
      destinationip: '203.0.113.7',
      destinationport: 80,
      username: 'EXAMPLE\\alice',
      protocol: 'tcp',
      processimage: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      servername: null,
      logsource: 'sysmon-json:ws01.example.local',
      eventcount: 1,
      eventdirection: null,
      sourceline: 3,
    });
  });

  test('keeps the initiator of inbound connections', async () => {
    const { events } = await load(fixture('nxlog-events.jsonl'));
    expect(events[1]).toMatchObject({
      sourceip: '10.1.2.9',
      sourceport: 50200,
      destinationip: '10.1.2.3',
      destinationport: 5985,
      processimage: 'System',
      sourceline: 4,
    });
  });

  test('reads IPv6, host names and absent users', async () => {
    const { events } = await load(fixture('nxlog-events.jsonl'));
    expect(events[2]).toMatchObject({
      sourceip: 'fd00::3',
      destinationip: '2001:db8::443',
      servername: 'updates.example.com',
      protocol: 'tcp',
    });
    expect(events[3]).toMatchObject({ username: null, protocol: 'udp', destinationport: 53 });
  });

  test('maps winlogbeat and ECS records', async () => {
    const { result, events } = await load(fixture('winlogbeat.jsonl'));
    expect(result).toEqual({
      status: 'loaded',
      events: 3,
      skipped: 0,
      message: '1 non-network event ignored',
    });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 6, 0),
      sourceip: '10.1.2.4',
      sourceport: 50500,
      destinationip: '192.0.2.80',
      destinationport: 8443,
      username: 'EXAMPLE\\bob',
      processimage: 'C:\\Users\\bob\\AppData\\Local\\Temp\\agent.exe',
      servername: 'cdn.example.net',
      logsource: 'sysmon-json:ws02.example.local',
      sourceline: 2,
    });
    expect(events[1]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 7, 250),
      sourceip: '10.1.2.5',
      sourceport: 50600,
      destinationip: '192.0.2.81',
      destinationport: 443,
      username: 'EXAMPLE\\carol',
      protocol: 'tcp',
      processimage: 'C:\\Program Files\\Example\\updater.exe',
      servername: 'api.example.org',
      logsource: 'sysmon-json:ws03.example.local',
    });
    expect(events[2]).toMatchObject({
      sourceip: 'fe80:0:0:0:616f:32fa:b04f:b419',
      destinationip: 'ff02:0:0:0:0:0:1:3',
      protocol: 'udp',
      username: null,
    });
  });

  test('rejects malformed lines with reasons', async () => {
    const { result, report, events } = await load(fixture('nxlog-malformed.jsonl'));
    expect(result).toEqual({
      status: 'loaded',
      events: 2,
      skipped: 9,
      message: '1 non-network event ignored',
    });
    expect(events.map((event) => event.sourceline)).toEqual([1, 13]);
    const summary = report.summary();
    expect(summary.skippedByReason).toEqual({
      'invalid JSON': 1,
      'record is not a JSON object': 1,
      'invalid UtcTime': 2,
      'missing UtcTime': 1,
      'missing SourceIp': 1,
      'invalid DestinationIp': 1,
      'invalid DestinationPort': 1,
      'invalid SourcePort': 1,
    });
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual(
      expect.arrayContaining([
        [2, 'invalid JSON'],
        [3, 'record is not a JSON object'],
        [4, 'invalid UtcTime'],
        [5, 'missing UtcTime'],
        [6, 'missing SourceIp'],
        [7, 'invalid DestinationIp'],
        [8, 'invalid DestinationPort'],
        [9, 'invalid SourcePort'],
        [12, 'invalid UtcTime'],
      ]),
    );
  });

  test('reads paths containing backslash-zero', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-json-'));
    folders.push(folder);
    const path = join(folder, 'zero.jsonl');
    const record = {
      EventID: 3,
      SourceName: 'Microsoft-Windows-Sysmon',
      UtcTime: '2024-04-19 10:00:02.250',
      Image: 'C:\\0day\\beacon.exe',
      SourceIp: '10.1.2.3',
      DestinationIp: '203.0.113.7',
      DestinationPort: '443',
    };
    await writeFile(path, `${JSON.stringify(record)}\n`);
    const { result, events } = await load(path);
    expect(result).toEqual({ status: 'loaded', events: 1, skipped: 0 });
    expect(events[0]?.processimage).toBe('C:\\0day\\beacon.exe');
  });

  test('ignores files without network events', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-json-'));
    folders.push(folder);
    const path = join(folder, 'security.jsonl');
    await writeFile(
      path,
      '{"EventID": 4624, "SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security"}\n',
    );
    const { result } = await load(path);
    expect(result).toEqual({
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: 'no Sysmon network connection events (Event ID 3) among 1 events',
    });
  });
});

/** Unzips the capture's one JSON file into a temporary folder; the caller removes the folder. */
async function unzipCapture(): Promise<{ folder: string; path: string }> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-otrf-'));
  execFileSync('unzip', ['-q', EMPIRE_HOST_ZIP, '-d', folder]);
  const [name] = await readdir(folder);
  return { folder, path: join(folder, name as string) };
}

describe.skipIf(!HAVE_CAPTURE)('sysmon-json on the OTRF Empire capture', () => {
  test('loads the ten Event ID 3 records', async () => {
    const { folder, path } = await unzipCapture();
    try {
      expect(detectFormat(await sniffFile(path))?.id).toBe('sysmon-json');

      const store = await DuckDbStore.open();
      stores.push(store);
      const report = await importFiles(store, [path]);
      expect(report.files[0]).toMatchObject({ format: 'sysmon-json', status: 'loaded', events: 10 });

      const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
      expect(events.map((event) => event.sourceline)).toEqual([
        82, 338, 661, 666, 690, 1416, 1419, 1653, 1798, 1987,
      ]);
      expect(events[0]).toMatchObject({
        starttime: Date.UTC(2020, 8, 20, 21, 8, 39, 557),
        sourceip: '172.18.39.5',
        sourceport: 59765,
        destinationip: '13.107.4.50',
        destinationport: 80,
        protocol: 'tcp',
        username: 'NT AUTHORITY\\NETWORK SERVICE',
        processimage: 'C:\\Windows\\System32\\svchost.exe',
        servername: null,
        logsource: 'sysmon-json:WORKSTATION5.theshire.local',
      });
      // The WinRM server logs each connection it accepted with the client still as the source.
      const accepted = events.filter(
        (event) =>
          event.logsource === 'sysmon-json:WORKSTATION6.theshire.local' && event.processimage === 'System',
      );
      expect(accepted).toHaveLength(3);
      for (const event of accepted) {
        expect(event).toMatchObject({
          sourceip: '172.18.39.5',
          destinationip: '172.18.39.6',
          destinationport: 5985,
        });
      }
      expect(events.find((event) => event.destinationip === '10.10.10.5')).toMatchObject({
        sourceip: '172.18.39.6',
        destinationport: 80,
        username: 'THESHIRE\\pgustavo',
        processimage: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        eventdirection: 'L2L',
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  // Registry paths in this capture contain the text \0052, which must not end a line.
  test('reads every capture line as JSON', async () => {
    const { folder, path } = await unzipCapture();
    try {
      const { result } = await load(path);
      expect(result).toEqual({
        status: 'loaded',
        events: 10,
        skipped: 0,
        message: '2,734 non-network events ignored',
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
