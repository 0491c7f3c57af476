import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import {
  escapeCefValue,
  parseCefExtension,
  parseCefHeader,
  unescapeCefHeaderField,
  unescapeCefValue,
} from './parse.js';

function extension(text: string): Record<string, string> {
  const parsed = parseCefExtension(text);
  if (!(parsed instanceof Map)) throw new Error(`extension rejected: ${parsed.reject}`);
  return Object.fromEntries(parsed);
}

describe('parseCefHeader', () => {
  test('reads the seven fields and the extension start', () => {
    const line = 'CEF:0|Vendor|Product|1.0|100|Name|5|src=10.0.0.1';
    const header = parseCefHeader(line, 0);

    expect(header).toEqual({
      version: '0',
      deviceVendor: 'Vendor',
      deviceProduct: 'Product',
      deviceVersion: '1.0',
      deviceEventClassId: '100',
      name: 'Name',
      severity: '5',
      extensionStart: line.indexOf('src='),
    });
  });

  test('unescapes pipes and backslashes in fields', () => {
    const header = parseCefHeader('CEF:0|Ven\\|dor|Pro\\\\duct|1|2|a \\| b|7|x=1', 0);

    expect(header).toMatchObject({ deviceVendor: 'Ven|dor', deviceProduct: 'Pro\\duct', name: 'a | b' });
  });

  test('splits after an escaped backslash before a pipe', () => {
    const header = parseCefHeader('CEF:0|Vendor\\\\|Product|1|2|Name|7|', 0);

    expect(header).toMatchObject({ deviceVendor: 'Vendor\\', deviceProduct: 'Product', severity: '7' });
  });

  test('keeps a backslash before other characters', () => {
    expect(unescapeCefHeaderField('C:\\Program Files')).toBe('C:\\Program Files');
  });

  test('accepts Severity that ends the line', () => {
    const line = 'CEF:0|V|P|1|2|N|High';

    expect(parseCefHeader(line, 0)).toMatchObject({ severity: 'High', extensionStart: line.length });
  });

  test('starts the header at the given index', () => {
    const line = '<13>Apr 21 12:00:00 host CEF:1|V|P|1|2|N|3|a=b';

    expect(parseCefHeader(line, line.indexOf('CEF:'))).toMatchObject({ version: '1', deviceVendor: 'V' });
  });

  test.each([
    ['CEF:0|V|P|1|2|N', 'incomplete CEF header'],
    ['CEF:0|V|P|1|2|N|', 'incomplete CEF header'],
    ['CEF:0', 'incomplete CEF header'],
    ['CEF:|V|P|1|2|N|3|', 'invalid CEF version'],
    ['CEF:zero|V|P|1|2|N|3|', 'invalid CEF version'],
  ])('rejects %j', (line, reason) => {
    expect(parseCefHeader(line, 0)).toEqual({ reject: reason });
  });
});

describe('parseCefExtension', () => {
  test('reads values with spaces', () => {
    expect(extension('msg=two words here src=10.0.0.1')).toEqual({ msg: 'two words here', src: '10.0.0.1' });
  });

  test('resolves escaped equals, backslash, newline and pipe', () => {
    expect(extension('a=x\\=y b=C:\\\\dir c=one\\ntwo\\rthree d=p\\|q')).toEqual({
      a: 'x=y',
      b: 'C:\\dir',
      c: 'one\ntwo\rthree',
      d: 'p|q',
    });
  });

  test('keeps an escaped " key=" inside a value', () => {
    expect(extension('msg=see note\\=1 src=10.0.0.1')).toEqual({ msg: 'see note=1', src: '10.0.0.1' });
  });

  test('keeps an unescaped "=" not after a space', () => {
    expect(extension('request=http://x.example/?a=1&b=2 dpt=80')).toEqual({
      request: 'http://x.example/?a=1&b=2',
      dpt: '80',
    });
  });

  test('reads a trailing key with an empty value', () => {
    expect(extension('src=10.0.0.1 msg=')).toEqual({ src: '10.0.0.1', msg: '' });
  });

  test('reads empty values between keys', () => {
    expect(extension('a= b=  c=3')).toEqual({ a: '', b: '', c: '3' });
  });

  test('drops trailing spaces and keeps leading ones', () => {
    expect(extension('  a= x  \tb=y   ')).toEqual({ a: ' x', b: 'y' });
  });

  test('keeps a backslash before other characters', () => {
    expect(extension('filePath=C:\\Windows\\temp x=1')).toEqual({ filePath: 'C:\\Windows\\temp', x: '1' });
  });

  test('reads keys with dots and brackets', () => {
    expect(extension('ad.name=a ad.list[0]=b')).toEqual({ 'ad.name': 'a', 'ad.list[0]': 'b' });
  });

  test('lets the last of repeated keys win', () => {
    expect(extension('a=1 a=2')).toEqual({ a: '2' });
  });

  test('reads an empty extension', () => {
    expect(extension('')).toEqual({});
    expect(extension('   ')).toEqual({});
  });

  test('rejects a trailing lone backslash', () => {
    expect(parseCefExtension('msg=ends in \\')).toEqual({ reject: 'unterminated escape in CEF extension' });
  });

  test('accepts a trailing escaped backslash', () => {
    expect(extension('msg=ends in \\\\')).toEqual({ msg: 'ends in \\' });
  });

  test('rejects text before the first key', () => {
    expect(parseCefExtension('junk src=10.0.0.1')).toEqual({
      reject: 'invalid CEF extension: text before the first key',
    });
    expect(parseCefExtension('no pairs at all')).toEqual({
      reject: 'invalid CEF extension: text before the first key',
    });
  });
});

describe('CEF escaping properties', () => {
  const key = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.]{0,11}$/);
  // Values may hold anything but trailing spaces and tabs, which separate pairs.
  const value = fc
    .string({
      unit: fc.constantFrom('a', 'Z', '9', ' ', '\t', '=', '\\', '\n', '\r', '|', 'é', ':', '/'),
      maxLength: 24,
    })
    .filter((text) => !/[ \t]$/.test(text));

  test('escape then parse round-trips an extension map', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (pairs) => {
        const text = Object.entries(pairs)
          .map(([name, text]) => `${name}=${escapeCefValue(text)}`)
          .join(' ');

        expect(extension(text)).toEqual(pairs);
      }),
    );
  });

  test('unescape inverts escape', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(unescapeCefValue(escapeCefValue(text))).toBe(text);
      }),
    );
  });

  test('random lines never throw', () => {
    const pieces = fc.constantFrom('CEF:', '0', '|', '\\', '=', ' ', 'src', 'a', '\t', 'é');
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(pieces, fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 60 }),
        (line) => {
          parseCefExtension(line);
          const start = line.indexOf('CEF:');
          if (start >= 0) parseCefHeader(line, start);
        },
      ),
    );
  });
});
