import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { cleanUpFormatTests, fixturePath, importForTest, writeTemp } from '../../test/format-helpers.js';
import { pcapFile } from '../../test/pcap-writer.js';
import { InputError } from '../errors.js';
import { INPUT_FORMATS } from './formats.js';

afterEach(cleanUpFormatTests);

/** Files of one kind each, none of them of the format they are read as in the tests below. */
const WRONG_FILES: ReadonlyArray<[string, string | Buffer]> = [
  ['notes.txt', 'hello world\nthis is text\n'],
  ['table.csv', 'a,b,c\n1,2,3\n'],
  ['records.jsonl', '{"a":1,"b":"x"}\n{"a":2}\n'],
  ['numbers.json', '[1,2,3]\n'],
  ['auth.log', 'Apr 19 10:00:02 host sshd[1]: Accepted password for alice\n'],
  [
    'squid.log',
    '1713520802.250    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -\n',
  ],
  ['cut-array.json', '[{"ActionType":"ConnectionSuccess","RemoteIP":"203.0.113.7",\n'],
  ['cut-results.json', '{"events": [{"starttime": 1713520800000, "sourceip": "10.1.2.3",\n'],
  ['capture.pcap', pcapFile({ linkType: 1 }, [])],
];

/** Returns the error an import of `path` as `format` fails with, or the file's status when it loads. */
async function importOutcome(path: string, format: string): Promise<{ error: unknown } | { status: string }> {
  try {
    const { summary } = await importForTest([path], { format });
    return { status: summary.files[0]?.status ?? 'missing' };
  } catch (error) {
    return { error };
  }
}

/**
 * Returns the first C0 or C1 control character, DEL, or U+FFFD (which stands for bytes that are not UTF-8)
 * in `text`, or undefined when there is none.
 */
function controlOrBinaryCharacter(text: string): string | undefined {
  return [...text].find((character) => {
    const code = character.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd;
  });
}

describe('formats named with --format on files of another kind', () => {
  test.each(INPUT_FORMATS.map((format) => [format.id]))(
    '%s loads or fails with a one-line message',
    async (format) => {
      for (const [name, content] of WRONG_FILES) {
        const path = await writeTemp(name, content);
        const outcome = await importOutcome(path, format);
        if ('status' in outcome) {
          // A format that loads the file reads it line by line and counts each line it cannot use.
          expect(outcome.status, `${format} on ${name}`).toBe('loaded');
          continue;
        }

        expect(outcome.error, `${format} on ${name}`).toBeInstanceOf(InputError);
        const message = (outcome.error as Error).message;
        expect(message.startsWith(`${path}: `), `${format} on ${name}: ${message}`).toBe(true);
        expect(message, `${format} on ${name}`).not.toContain('\n');
        expect(controlOrBinaryCharacter(message), `${format} on ${name}`).toBeUndefined();
        expect(message, `${format} on ${name}`).not.toMatch(
          /Invalid Input Error|Malformed JSON|Parser Error/,
        );
      }
    },
  );

  test('a file of another kind inside a folder is listed as ignored', async () => {
    const record =
      '{"Timestamp": "2024-04-19T10:00:02.2502154Z", "DeviceName": "ws01", "ActionType": "ConnectionSuccess", "RemoteIP": "203.0.113.7", "RemotePort": 443, "LocalIP": "10.1.2.3", "LocalPort": 50100, "Protocol": "Tcp"}\n';
    const events = await writeTemp('events.json', record);
    const folder = dirname(events);
    await writeFile(join(folder, 'README.txt'), 'Exported from advanced hunting.\n');
    const { summary } = await importForTest([folder], { format: 'defender-json' });

    const readme = summary.files.find((file) => basename(file.path) === 'README.txt');
    const loaded = summary.files.find((file) => basename(file.path) === 'events.json');

    expect(readme?.status).toBe('ignored');
    expect(readme?.message).toMatch(/README\.txt: not JSON \(first line "Exported/);
    expect(loaded).toMatchObject({ status: 'loaded', events: 1 });
    await expect(importForTest([folder], { format: 'defender-json', strict: true })).rejects.toThrow(
      /README\.txt: not JSON/,
    );
  });

  test('defender-json names a file that is not JSON', async () => {
    const path = await writeTemp('notes.txt', 'hello world\n');

    await expect(importForTest([path], { format: 'defender-json' })).rejects.toThrow(
      `${path}: not JSON (first line "hello world"); defender-json reads DeviceNetworkEvents as JSON lines, a JSON array, or an object with a "Results" or "records" array; check the --format value, or leave --format out to recognise the format from the content`,
    );
  });

  test('defender-json names a JSON array cut short', async () => {
    const path = await writeTemp(
      'cut.json',
      '[{"ActionType":"ConnectionSuccess","RemoteIP":"203.0.113.7",\n',
    );

    await expect(importForTest([path], { format: 'defender-json' })).rejects.toThrow(
      /^\S+cut\.json: invalid JSON, or JSON of another shape \(first line .*check that the file is complete and of this format$/,
    );
  });

  test('defender-json without --format names a JSON array cut short', async () => {
    const path = await writeTemp(
      'cut.json',
      '[{"ActionType":"ConnectionSuccess","RemoteIP":"203.0.113.7",\n',
    );

    await expect(importForTest([path])).rejects.toThrow(/cut\.json: invalid JSON, or JSON of another shape/);
  });

  test('qradar-json names JSON without an events array', async () => {
    const path = await writeTemp('records.jsonl', '{"a":1}\n');

    await expect(importForTest([path], { format: 'qradar-json' })).rejects.toThrow(
      /records\.jsonl: no "events" or "flows" array in the first 64 KB; qradar-json reads/,
    );
  });

  test('qradar-json names a search result cut short', async () => {
    const path = await writeTemp(
      'cut.json',
      '{"events": [{"starttime": 1713520800000, "sourceip": "10.1.2.3",\n',
    );

    await expect(importForTest([path])).rejects.toThrow(/cut\.json: invalid JSON, or JSON of another shape/);
  });

  test('pcap names a file that is no capture', async () => {
    const path = await writeTemp('notes.txt', 'hello world\n');

    await expect(importForTest([path], { format: 'pcap' })).rejects.toThrow(
      /notes\.txt: not a packet capture \(no pcap or pcapng magic number at the start\); pcap reads/,
    );
  });

  test.each(['nfdump-csv', 'qradar-csv', 'zeek-tsv', 'zeek-json', 'zeek-conn-summary'])(
    '%s names a capture as one',
    async (format) => {
      const path = await writeTemp('capture.pcap', pcapFile({ linkType: 1 }, []));

      await expect(importForTest([path], { format })).rejects.toThrow(
        new RegExp(`capture\\.pcap: a pcap packet capture, which the pcap format reads; ${format} reads`),
      );
    },
  );

  test.each([
    [
      'zeek-tsv',
      'no #fields header line at the start (first line "hello world"); zeek-tsv reads Zeek ASCII logs',
    ],
    [
      'zeek-json',
      'the first line is not a JSON object (first line "hello world"); zeek-json reads Zeek logs',
    ],
    [
      'zeek-conn-summary',
      'no ">== Total ===" line at the start (first line "hello world"); zeek-conn-summary reads',
    ],
    [
      'qradar-csv',
      'the header has no starttime, sourceip or destinationip column (first line "hello world"); qradar-csv reads',
    ],
  ])('%s names a text file of another kind', async (format, problem) => {
    const path = await writeTemp('notes.txt', 'hello world\n');

    await expect(importForTest([path], { format })).rejects.toThrow(`${path}: ${problem}`);
  });

  test('zeek-json names JSON records without id fields', async () => {
    const path = await writeTemp('records.jsonl', '{"a":1,"b":"x"}\n{"a":2}\n');

    await expect(importForTest([path], { format: 'zeek-json' })).rejects.toThrow(
      `${path}: no record with an id.orig_h or id_orig_h field in the first 64 KB (first line "{\\"a\\":1,\\"b\\":\\"x\\"}")`,
    );
  });

  test.each([
    ['zeek-tsv', fixturePath('zeek', 'weird.log'), 'Zeek weird log, not used'],
    ['zeek-tsv', fixturePath('zeek', 'x509.log'), 'Zeek x509 log, not used'],
  ])('%s still ignores a Zeek log that is not used', async (format, path, message) => {
    const { summary } = await importForTest([path], { format });

    expect(summary.files[0]).toMatchObject({ status: 'ignored', message });
  });

  test('zeek-json still ignores a named Zeek log without id fields', async () => {
    const record =
      '{"_path": "x509", "ts": 1713520800.1, "id": "FZ1", "certificate.subject": "CN=example"}\n';
    const path = await writeTemp('x509.json', record);

    const { summary } = await importForTest([path], { format: 'zeek-json' });

    expect(summary.files[0]).toMatchObject({ status: 'ignored', message: 'Zeek x509 log, not used' });
  });

  test('zeek-conn-summary still ignores a report', async () => {
    const path = await writeTemp(
      'conn-summary.log',
      '\n>== Total === 2024-04-19-00-00-07 - 2024-04-19-00-59-41\n',
    );

    const { summary } = await importForTest([path], { format: 'zeek-conn-summary' });

    expect(summary.files[0]).toMatchObject({ status: 'ignored', message: 'Zeek conn-summary log, not used' });
  });

  test('zeek-tsv lists a file of another kind in a folder as ignored', async () => {
    const conn = await writeTemp('weird.log', await readFile(fixturePath('zeek', 'weird.log')));
    const folder = dirname(conn);
    await writeFile(join(folder, 'README.txt'), 'Sensor logs of 19 April.\n');

    const { summary } = await importForTest([folder], { format: 'zeek-tsv' });
    const readme = summary.files.find((file) => basename(file.path) === 'README.txt');

    expect(readme?.status).toBe('ignored');
    expect(readme?.message).toMatch(/README\.txt: no #fields header line at the start/);
    await expect(importForTest([folder], { format: 'zeek-tsv', strict: true })).rejects.toThrow(
      /README\.txt: no #fields header line at the start/,
    );
  });

  test('qradar-csv names the fields a QRadar export lacks', async () => {
    const path = await writeTemp(
      'export.csv',
      'sourceip,destinationip,Destination Port\n10.1.2.3,203.0.113.7,443\n',
    );

    await expect(importForTest([path], { format: 'qradar-csv' })).rejects.toThrow(
      `${path}: no starttime field in the QRadar export (found: "sourceip", "destinationip", "Destination Port"); ` +
        'add the missing fields to the AQL SELECT or the console columns and export again',
    );
  });

  test.each([
    ['nfdump-csv', 'the header has no ts or firstSeen, sa or srcAddr, da or dstAddr column'],
    ['defender-csv', 'the header has no Timestamp, ActionType, RemoteIP, LocalIP column'],
  ])('%s names the missing header columns', async (format, problem) => {
    const path = await writeTemp('table.csv', 'a,b,c\n1,2,3\n');

    await expect(importForTest([path], { format })).rejects.toThrow(
      `${path}: ${problem} (first line "a,b,c")`,
    );
  });

  test('sysmon-xml names a file without event elements', async () => {
    const path = await writeTemp('notes.txt', 'hello world\n');

    await expect(importForTest([path], { format: 'sysmon-xml' })).rejects.toThrow(
      /notes\.txt: no <Event> element in the first 64 KB \(first line "hello world"\); sysmon-xml reads/,
    );
  });
});
