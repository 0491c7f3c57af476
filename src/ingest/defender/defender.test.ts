import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

import {
  cleanUpFormatTests,
  detectedFormatId,
  fixturePath,
  importForTest,
  skippedLines,
  writeTemp,
} from '../../../test/format-helpers.js';
import { WrongFormatError } from '../wrong-format.js';
import { DEFENDER_REJECT } from './fields.js';

afterEach(cleanUpFormatTests);

const csvFixture = (name: string): string => fixturePath('defender-csv', name);
const jsonFixture = (name: string): string => fixturePath('defender-json', name);

/** The outbound ConnectionSuccess record that every fixture starts with. */
const FIRST_CONNECTION = {
  starttime: Date.UTC(2024, 3, 19, 10, 0, 2, 250),
  sourceip: '10.1.2.3',
  sourceport: 50100,
  destinationip: '203.0.113.7',
  destinationport: 443,
  protocol: 'tcp',
  connstate: 'SF',
  servername: 'c2.example.net',
  processimage: 'c:\\users\\alice\\appdata\\local\\temp\\agent.exe',
  username: 'example\\alice',
  eventcount: 1,
};

describe('defender detection', () => {
  test('detects CSV exports', async () => {
    expect(await detectedFormatId(csvFixture('network-events.csv'))).toBe('defender-csv');
    expect(await detectedFormatId(csvFixture('malformed.csv'))).toBe('defender-csv');
  });

  test('detects every JSON shape', async () => {
    for (const name of [
      'network-events.jsonl',
      'network-events-array.json',
      'streaming-eventhub.json',
      'streaming.jsonl',
      'malformed.jsonl',
    ]) {
      expect(await detectedFormatId(jsonFixture(name)), name).toBe('defender-json');
    }
  });

  test('ignores CSV without the Defender columns', async () => {
    const path = await writeTemp('other.csv', 'Timestamp,ActionType,DeviceName\n2024-04-19T10:00:00Z,x,y\n');
    expect(await detectedFormatId(path)).toBeNull();
  });
});

describe('defender-csv load', () => {
  test('maps an outbound connection', async () => {
    const { summary, events } = await importForTest([csvFixture('network-events.csv')]);

    expect(summary.files[0]).toMatchObject({
      format: 'defender-csv',
      status: 'loaded',
      events: 4,
      skipped: 0,
    });
    expect(events[0]).toMatchObject({
      ...FIRST_CONNECTION,
      logsource: 'defender-csv:ws01.example.local',
      sourceline: 2,
    });
  });

  test('maps failures, inbound connections and IPv6', async () => {
    const { events } = await importForTest([csvFixture('network-events.csv')]);

    expect(events[1]).toMatchObject({
      sourceline: 3,
      connstate: 'S0',
      servername: null,
      processimage: 'c:\\users\\alice\\appdata\\local\\temp\\agent.exe',
    });
    expect(events[2]).toMatchObject({
      sourceline: 4,
      sourceip: '198.51.100.20',
      sourceport: 51515,
      destinationip: '10.1.2.3',
      destinationport: 3389,
      username: 'nt authority\\network service',
    });
    expect(events[3]).toMatchObject({
      sourceline: 6,
      sourceip: '10.1.2.3',
      destinationip: '2001:db8:feed::7',
      protocol: 'tcp',
      servername: 'update.example.org',
      username: null,
    });
  });

  test('passes over other ActionTypes', async () => {
    const { summary } = await importForTest([csvFixture('network-events.csv')]);

    expect(summary.files[0]?.message).toBe('2 records of other ActionTypes ignored');
  });

  test('reports malformed lines with their numbers', async () => {
    const { summary, events } = await importForTest([csvFixture('malformed.csv')]);

    expect(events.map((event) => event.sourceline)).toEqual([2, 10]);
    expect(skippedLines(summary)).toEqual([
      '3: wrong field count',
      `4: ${DEFENDER_REJECT.invalidTimestamp}`,
      `5: ${DEFENDER_REJECT.invalidRemoteIp}`,
      `6: ${DEFENDER_REJECT.invalidLocalPort}`,
      `7: ${DEFENDER_REJECT.missingActionType}`,
      '8: unbalanced quotes',
      '9: wrong field count',
    ]);
  });
});

describe('defender-json load', () => {
  test('maps JSON lines like the CSV', async () => {
    const { summary, events } = await importForTest([jsonFixture('network-events.jsonl')]);

    expect(summary.files[0]).toMatchObject({ format: 'defender-json', events: 4, skipped: 0 });
    expect(events[0]).toMatchObject({
      ...FIRST_CONNECTION,
      logsource: 'defender-json:ws01.example.local',
      sourceline: 1,
    });
    expect(events.map((event) => event.sourceline)).toEqual([1, 2, 3, 5]);
  });

  test('numbers array records by position', async () => {
    const { events } = await importForTest([jsonFixture('network-events-array.json')]);

    expect(events.map((event) => [event.sourceline, event.connstate])).toEqual([
      [1, 'SF'],
      [2, 'S0'],
      [3, 'SF'],
    ]);
    expect(events[0]).toMatchObject(FIRST_CONNECTION);
  });

  test('reads streaming API records', async () => {
    const { summary, events } = await importForTest([jsonFixture('streaming-eventhub.json')]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 2, 4]);
    expect(events[0]).toMatchObject(FIRST_CONNECTION);
    expect(summary.files[0]?.message).toBe('1 record of other ActionTypes ignored');
  });

  test('reads streaming records as JSON lines', async () => {
    const { events } = await importForTest([jsonFixture('streaming.jsonl')]);

    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject(FIRST_CONNECTION);
  });

  test('reports malformed lines with their numbers', async () => {
    const { summary, events } = await importForTest([jsonFixture('malformed.jsonl')]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 9]);
    expect(events[1]?.starttime).toBe(Date.UTC(2024, 3, 19, 9, 0, 9));
    expect(skippedLines(summary)).toEqual([
      '2: invalid JSON',
      '3: record is not a JSON object',
      `4: ${DEFENDER_REJECT.invalidTimestamp}`,
      `5: ${DEFENDER_REJECT.invalidLocalIp}`,
      `6: ${DEFENDER_REJECT.invalidRemotePort}`,
      '8: invalid JSON',
    ]);
  });
});

describe('defender-json documents without records', () => {
  const RECORD =
    '{"Timestamp": "2024-04-19T10:00:02Z", "ActionType": "ConnectionSuccess", "RemoteIP": "203.0.113.7", "RemotePort": 443, "LocalIP": "10.1.2.3", "LocalPort": 50100, "Protocol": "Tcp"}';

  test('QRadar results fail as another format', async () => {
    const path = fileURLToPath(new URL('../../../samples/qradar/qradar-results.json', import.meta.url));

    await expect(importForTest([path], { format: 'defender-json', strict: true })).rejects.toThrow(
      `${path}: a JSON document with the keys "events" and no "Results" or "records" array; defender-json reads`,
    );
  });

  test('multi-line document without an array fails', async () => {
    const path = await writeTemp('value.json', `{\n  "value": [\n    ${RECORD}\n  ]\n}\n`);

    const error = await importForTest([path]).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(WrongFormatError);
    expect((error as Error).message).toContain(
      `${path}: a JSON document with the keys "value" and no "Results" or "records" array`,
    );
  });

  test('one document without an array fails the file', async () => {
    const path = await writeTemp('pages.json', `{"Results": [${RECORD}]}\n{"next":\n "page-2"}\n`);

    await expect(importForTest([path], { format: 'defender-json' })).rejects.toThrow(
      `${path}: 1 JSON document of 2 with no "Results" or "records" array (one has the keys "next")`,
    );
  });

  test('a records field that is no array fails', async () => {
    const path = await writeTemp('records.json', '{\n"records": 5\n}\n');

    await expect(importForTest([path], { format: 'defender-json' })).rejects.toThrow(
      `${path}: a JSON document with the keys "records" and no "Results" or "records" array`,
    );
  });

  test('an empty Results array loads nothing', async () => {
    const path = await writeTemp('empty.json', '{\n  "Results": []\n}\n');

    const { summary } = await importForTest([path], { format: 'defender-json' });

    expect(summary.files[0]).toMatchObject({ status: 'loaded', events: 0, skipped: 0 });
  });

  test('a Results array beside a records field that is no array loads', async () => {
    const path = await writeTemp('both.json', `{\n"records": 5,\n"Results": [${RECORD}]\n}\n`);

    const { summary } = await importForTest([path], { format: 'defender-json' });

    expect(summary.files[0]).toMatchObject({ status: 'loaded', events: 1 });
  });

  test('inside a folder it is listed as ignored', async () => {
    const path = await writeTemp('value.json', `{\n  "value": [\n    ${RECORD}\n  ]\n}\n`);
    await writeFile(join(dirname(path), 'events.jsonl'), `${RECORD}\n`);

    const { summary } = await importForTest([dirname(path)], { format: 'defender-json' });

    expect(summary.files.map((file) => [basename(file.path), file.status])).toEqual([
      ['events.jsonl', 'loaded'],
      ['value.json', 'ignored'],
    ]);
    expect(summary.eventsRead).toBe(1);
  });
});
