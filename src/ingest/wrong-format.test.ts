import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { cleanUpFormatTests, importForTest, writeTemp } from '../../test/format-helpers.js';
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

/** Returns the error an import of `path` as `format` fails with, or null when it loads. */
async function importError(path: string, format: string): Promise<unknown> {
  try {
    await importForTest([path], { format });
    return null;
  } catch (error) {
    return error;
  }
}

describe('formats named with --format on files of another kind', () => {
  test.each(INPUT_FORMATS.map((format) => [format.id]))(
    '%s loads or fails with a one-line message',
    async (format) => {
      for (const [name, content] of WRONG_FILES) {
        const path = await writeTemp(name, content);
        const error = await importError(path, format);
        if (error === null) continue;

        expect(error, `${format} on ${name}`).toBeInstanceOf(InputError);
        const message = (error as Error).message;
        expect(message.startsWith(`${path}: `), `${format} on ${name}: ${message}`).toBe(true);
        expect(message, `${format} on ${name}`).not.toContain('\n');
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

  test('a text format names a capture as one', async () => {
    const path = await writeTemp('capture.pcap', pcapFile({ linkType: 1 }, []));

    await expect(importForTest([path], { format: 'nfdump-csv' })).rejects.toThrow(
      /capture\.pcap: a pcap packet capture, which the pcap format reads; nfdump-csv reads/,
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
