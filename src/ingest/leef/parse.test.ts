import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import {
  LEEF_HEADER_REJECT,
  leefDelimiter,
  parseLeefAttributes,
  parseLeefHeader,
  type LeefHeader,
} from './parse.js';

function header(line: string): LeefHeader {
  const parsed = parseLeefHeader(line, line.indexOf('LEEF:'));
  if ('reject' in parsed) throw new Error(`header rejected: ${parsed.reject}`);
  return parsed;
}

/** Parses a whole line's attributes with the delimiter its header names. */
function attributes(line: string): Record<string, string> {
  const parsed = header(line);
  return Object.fromEntries(parseLeefAttributes(line.slice(parsed.attributesStart), parsed.delimiter));
}

describe('parseLeefHeader', () => {
  test('reads LEEF 1.0 fields', () => {
    const line = 'LEEF:1.0|Microsoft|MSExchange|2013 SP1|15345|src=10.0.0.1';

    expect(header(line)).toEqual({
      version: '1.0',
      vendor: 'Microsoft',
      product: 'MSExchange',
      productVersion: '2013 SP1',
      eventId: '15345',
      delimiter: '\t',
      attributesStart: line.indexOf('src='),
    });
  });

  test('accepts an EventID that ends the line', () => {
    const line = 'LEEF:1.0|V|P|1|Login';

    expect(header(line)).toMatchObject({ eventId: 'Login', attributesStart: line.length });
  });

  test.each([
    ['^', '^'],
    ['x09', '\t'],
    ['0x09', '\t'],
    ['0x7c', '|'],
    ['X5E', '^'],
    ['x2603', '\u2603'],
    ['', '\t'],
    ['x', 'x'],
  ])('reads LEEF 2.0 delimiter field %j', (field, delimiter) => {
    expect(header(`LEEF:2.0|V|P|1|41|${field}|src=10.0.0.1`).delimiter).toBe(delimiter);
  });

  test('reads a pipe written as itself', () => {
    const line = 'LEEF:2.0|V|P|1|41|||src=10.0.0.1|dst=10.0.0.2';

    expect(header(line)).toMatchObject({ delimiter: '|', attributesStart: line.indexOf('src=') });
  });

  test('reads LEEF 2.0 without a delimiter field', () => {
    const line = 'LEEF:2.0|V|P|1|41|src=10.0.0.1\tdst=10.0.0.2';

    expect(header(line)).toMatchObject({ delimiter: '\t', attributesStart: line.indexOf('src=') });
  });

  test('reads a version without ".0"', () => {
    expect(header('LEEF:2|V|P|1|41|^|a=b').version).toBe('2.0');
  });

  test.each([
    ['LEEF:3.0|V|P|1|41|a=b', LEEF_HEADER_REJECT.version],
    ['LEEF:|V|P|1|41|a=b', LEEF_HEADER_REJECT.version],
    ['LEEF:1.0', LEEF_HEADER_REJECT.incomplete],
    ['LEEF:1.0|V|P', LEEF_HEADER_REJECT.incomplete],
    ['LEEF:2.0|V|P|1|41|xyz|a=b', LEEF_HEADER_REJECT.delimiter],
    ['LEEF:2.0|V|P|1|41|=|a=b', LEEF_HEADER_REJECT.delimiter],
    ['LEEF:2.0|V|P|1|41|0x3d|a=b', LEEF_HEADER_REJECT.delimiter],
    ['LEEF:2.0|V|P|1|41|x12345|a=b', LEEF_HEADER_REJECT.delimiter],
  ])('rejects %j', (line, reason) => {
    expect(parseLeefHeader(line, 0)).toEqual({ reject: reason });
  });
});

describe('LEEF attributes', () => {
  test('splits on tabs and keeps spaces and "=" in values', () => {
    expect(attributes('LEEF:1.0|V|P|1|2|msg=a b=c\turl=http://x/?q=1\t')).toEqual({
      msg: 'a b=c',
      url: 'http://x/?q=1',
    });
  });

  test('splits on a caret', () => {
    expect(attributes('LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5')).toEqual({
      src: '10.0.1.8',
      dst: '10.0.0.5',
      sev: '5',
    });
  });

  test('splits on a hex pipe', () => {
    expect(attributes('LEEF:2.0|V|P|1|41|0x7c|src=10.0.0.1|dst=10.0.0.2')).toEqual({
      src: '10.0.0.1',
      dst: '10.0.0.2',
    });
  });

  test('skips empty parts and parts without "="', () => {
    expect(attributes('LEEF:2.0|V|P|1|41|^|^^a=1^junk^ b =2^^')).toEqual({ a: '1', b: '2' });
  });

  test('reads a trailing key with an empty value', () => {
    expect(attributes('LEEF:1.0|V|P|1|2|a=1\tmsg=')).toEqual({ a: '1', msg: '' });
  });

  test('splits LEEF 1.0 attributes without tabs on spaces', () => {
    expect(
      attributes('LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1  dst=2.10.20.20 msg=two words'),
    ).toEqual({
      src: '10.50.1.1',
      dst: '2.10.20.20',
      msg: 'two words',
    });
  });

  test('keeps spaces in values when tabs separate', () => {
    expect(attributes('LEEF:1.0|V|P|1|2|msg=two words\tsrc=10.0.0.1')).toEqual({
      msg: 'two words',
      src: '10.0.0.1',
    });
  });

  test('round-trips attributes for any delimiter', () => {
    const delimiter = fc.constantFrom('\t', '^', '|', ',', '\u2603');
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,9}$/);
    fc.assert(
      fc.property(
        delimiter,
        fc.dictionary(key, fc.string({ maxLength: 12 }), { maxKeys: 6 }),
        (separator, pairs) => {
          const clean = Object.fromEntries(
            Object.entries(pairs).map(([name, value]) => [
              name,
              value.split(separator).join('').replace(/\t/g, ''),
            ]),
          );
          const text = Object.entries(clean)
            .map(([name, value]) => `${name}=${value}`)
            .join(separator);
          // A tab-delimited text without tabs would be split on spaces, so this property uses two or more pairs.
          fc.pre(separator !== '\t' || Object.keys(clean).length > 1);

          expect(Object.fromEntries(parseLeefAttributes(text, separator))).toEqual(clean);
        },
      ),
    );
  });

  test('random lines never throw', () => {
    const piece = fc.constantFrom('LEEF:', '1.0', '2.0', '|', '^', 'x09', '0x7c', '=', '\t', ' ', 'src');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 5 })), { maxLength: 14 }), (pieces) => {
        const line = pieces.join('');
        const start = line.indexOf('LEEF:');
        const parsed = parseLeefHeader(line, Math.max(start, 0));
        if (!('reject' in parsed)) parseLeefAttributes(line.slice(parsed.attributesStart), parsed.delimiter);
        leefDelimiter(line);
      }),
    );
  });
});
