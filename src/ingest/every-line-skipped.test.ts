import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

import { cleanUpFormatTests, importForTest, writeTemp } from '../../test/format-helpers.js';
import { pcapFile } from '../../test/pcap-writer.js';
import { StrictModeError } from '../errors.js';
import { WrongFormatError } from './wrong-format.js';

afterEach(cleanUpFormatTests);

const QRADAR_RESULTS = fileURLToPath(new URL('../../samples/qradar/qradar-results.json', import.meta.url));

const FIX = 'check the --format value, or leave --format out to recognise the format from the content';

const SQUID_LINE =
  '1713520802.250    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -';

/** A Suricata flow record with an invalid source address, so its reader skips it. */
const BAD_FLOW =
  '{"timestamp":"2024-04-19T10:00:02.000000+0000","flow_id":1,"event_type":"flow","src_ip":"10.0.0.999","src_port":53396,"dest_ip":"203.0.113.7","dest_port":443,"proto":"TCP","flow":{"start":"2024-04-19T10:00:00.123456+0000","end":"2024-04-19T10:00:01.234567+0000","state":"closed"}}';

async function importError(paths: string[], options: Parameters<typeof importForTest>[1]): Promise<unknown> {
  return importForTest(paths, options).then(
    () => null,
    (error: unknown) => error,
  );
}

describe('forced format with every line skipped', () => {
  test.each([
    ['suricata-eve', 'invalid JSON'],
    ['sysmon-json', 'invalid JSON'],
    ['paloalto-traffic', 'not a PAN-OS log record'],
    ['pfsense-filterlog', 'not a syslog line'],
    ['iptables', 'not a syslog line'],
    ['squid', 'wrong field count'],
    ['squid-common', 'not in common log format'],
    ['leef', 'not a LEEF event (no LEEF: header)'],
    ['cef', 'not a CEF event (no CEF: header)'],
  ])('%s on QRadar results fails the file', async (format, reason) => {
    const error = await importError([QRADAR_RESULTS], { format });

    expect(error).toBeInstanceOf(WrongFormatError);
    expect((error as Error).message).toBe(
      `${QRADAR_RESULTS}: all 4,498 lines were skipped as ${format} (line 1: ${reason}); ${FIX}`,
    );
  });

  test('blank lines do not count', async () => {
    const path = await writeTemp('notes.txt', '\nhello world\n\n  \nsecond line\n\n');

    const error = await importError([path], { format: 'squid' });

    expect(error).toBeInstanceOf(WrongFormatError);
    expect((error as Error).message).toBe(
      `${path}: all 2 lines were skipped as squid (line 2: wrong field count); ${FIX}`,
    );
  });

  test('one line names it as the only line', async () => {
    const path = await writeTemp('notes.txt', 'hello world\n');

    await expect(importForTest([path], { format: 'cef' })).rejects.toThrow(
      `${path}: its only line was skipped as cef (line 1: not a CEF event (no CEF: header)); ${FIX}`,
    );
  });

  test('one line read loads the file', async () => {
    const path = await writeTemp('access.log', `hello world\n${SQUID_LINE}\nsecond line\n`);

    const { summary } = await importForTest([path], { format: 'squid' });

    expect(summary.files[0]).toMatchObject({ status: 'loaded', events: 1, skipped: 2 });
  });

  test('a record passed over as of no use loads the file', async () => {
    const processEvent =
      '{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","UtcTime":"2020-09-20 21:08:39.557","Image":"C:\\\\Windows\\\\System32\\\\cmd.exe"}';
    const path = await writeTemp('events.jsonl', `${processEvent}\nnot json\n`);

    const { summary } = await importForTest([path], { format: 'sysmon-json' });

    expect(summary.files[0]).toMatchObject({ status: 'loaded', events: 0, skipped: 1 });
  });

  test('inside a folder the file is ignored and its lines not counted', async () => {
    const access = await writeTemp('access.log', `${SQUID_LINE}\n`);
    const notes = join(dirname(access), 'notes.txt');
    await writeFile(notes, 'hello world\nsecond line\n');

    const { summary } = await importForTest([dirname(access)], { format: 'squid' });

    expect(summary.files.map((file) => [basename(file.path), file.status])).toEqual([
      ['access.log', 'loaded'],
      ['notes.txt', 'ignored'],
    ]);
    expect(summary.files[1]?.message).toBe(
      `${notes}: all 2 lines were skipped as squid (line 1: wrong field count); ${FIX}`,
    );
    expect(summary.eventsRead).toBe(1);
    expect(summary.linesSkipped).toBe(0);
    expect(summary.samples).toEqual([]);
  });

  test('inside a folder under --strict the import fails', async () => {
    const access = await writeTemp('access.log', `${SQUID_LINE}\n`);
    await writeFile(join(dirname(access), 'notes.txt'), 'hello world\n');

    const error = await importError([dirname(access)], { format: 'squid', strict: true });

    expect(error).toBeInstanceOf(StrictModeError);
    expect((error as Error).message).toContain('notes.txt:1: wrong field count');
  });

  test('a packet capture is named as one', async () => {
    const path = await writeTemp('capture.pcap', pcapFile({ linkType: 1 }, []));

    await expect(importForTest([path], { format: 'leef' })).rejects.toThrow(
      `${path}: a pcap packet capture, which the pcap format reads; leef reads`,
    );
  });

  test('a detected format keeps the file as loaded', async () => {
    const path = await writeTemp('eve.json', `${BAD_FLOW}\n`);

    const detected = await importForTest([path]);
    const forced = await importError([path], { format: 'suricata-eve' });

    expect(detected.summary.files[0]).toMatchObject({
      format: 'suricata-eve',
      status: 'loaded',
      events: 0,
      skipped: 1,
    });
    expect(forced).toBeInstanceOf(WrongFormatError);
  });
});
