import { afterEach, describe, expect, test } from 'vitest';

import { cleanUpFormatTests, importForTest, writeTemp } from '../../test/format-helpers.js';
import { detectFormat, INPUT_FORMATS } from './formats.js';
import { sniffFile } from './sniff.js';

afterEach(cleanUpFormatTests);

/** Binary formats, whose example is a command that writes such a file rather than a record. */
const BINARY_FORMATS: ReadonlySet<string> = new Set(['pcap']);

/** Formats never detected from content, because `--format` or `--map` chooses them. */
const UNDETECTED_FORMATS: ReadonlySet<string> = new Set(['generic-csv', 'generic-jsonl']);

/** Formats whose example is recognised but not loaded as events, such as a report of totals. */
const NOT_LOADED_FORMATS: ReadonlySet<string> = new Set(['zeek-conn-summary']);

const TEXT_FORMATS = INPUT_FORMATS.filter((format) => !BINARY_FORMATS.has(format.id));

describe('format examples', () => {
  test.each(INPUT_FORMATS.map((format) => [format.id, format]))(
    '%s has recognition text and an example',
    (_id, format) => {
      expect(format.recognisedBy ?? '').not.toBe('');
      expect(format.example ?? '').not.toBe('');
    },
  );

  test.each(
    TEXT_FORMATS.filter((format) => !UNDETECTED_FORMATS.has(format.id)).map((format) => [format.id, format]),
  )('%s example is detected as its format', async (id, format) => {
    const path = await writeTemp('example.log', `${format.example ?? ''}\n`);
    const sample = await sniffFile(path);

    expect(format.detect(sample)).toBe(true);
    expect(detectFormat(sample)?.id).toBe(id);
  });

  test.each([...UNDETECTED_FORMATS])('%s example is never detected', async (id) => {
    const format = INPUT_FORMATS.find((candidate) => candidate.id === id);
    const path = await writeTemp('example.log', `${format?.example ?? ''}\n`);

    expect(format?.detect(await sniffFile(path))).toBe(false);
  });

  test.each(
    TEXT_FORMATS.filter(
      (format) => !UNDETECTED_FORMATS.has(format.id) && !NOT_LOADED_FORMATS.has(format.id),
    ).map((format) => [format.id, format]),
  )('%s example loads as one event', async (id, format) => {
    const path = await writeTemp('example.log', `${format.example ?? ''}\n`);

    const { summary } = await importForTest([path], { format: id, strict: true });

    expect(summary.eventsRead).toBe(1);
    expect(summary.linesSkipped).toBe(0);
  });
});
