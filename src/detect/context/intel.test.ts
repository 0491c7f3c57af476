import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { InputError } from '../../errors.js';
import { addIntelList, emptyIntelLists, loadIntelLists, matchIntel } from './intel.js';

const directory = mkdtempSync(join(tmpdir(), 'beaconhunt-intel-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function listFile(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

const MIXED_LIST = [
  '# known C2 infrastructure',
  '',
  '203.0.113.50',
  '2001:DB8:0:0::1   # upper case and uncompressed',
  '198.51.100.0/24',
  '2001:db8:ff00::/40',
  'evil.example.com',
  '*.bad.example.org',
  'Bücher-c2.de',
  '203.0.113.50',
  '1.2.3',
  '203.0.113.256',
  '198.51.100.0/33',
  'http://evil.example.com/pixel.gif',
  'co.uk',
  'intranet',
  'two values',
  'bad_label-.com',
  '\t',
].join('\r\n');

describe('loadIntelLists', () => {
  it('counts entries, duplicates and rejects', async () => {
    const path = listFile('mixed.txt', `\uFEFF${MIXED_LIST}`);
    const lists = await loadIntelLists([path]);

    expect(lists.lists).toEqual([
      { file: path, addresses: 2, networks: 2, domains: 3, duplicates: 1, rejected: 8 },
    ]);
  });

  it('reports each bad line with file and line', async () => {
    const path = listFile('mixed-lines.txt', MIXED_LIST);
    const { problems } = await loadIntelLists([path]);

    expect(problems.map((problem) => [problem.line, problem.text])).toEqual([
      [11, '1.2.3'],
      [12, '203.0.113.256'],
      [13, '198.51.100.0/33'],
      [14, 'http://evil.example.com/pixel.gif'],
      [15, 'co.uk'],
      [16, 'intranet'],
      [17, 'two values'],
      [18, 'bad_label-.com'],
    ]);
    expect(problems.every((problem) => problem.file === path)).toBe(true);
    expect(problems[0]?.reason).toMatch(/invalid IPv4 address/);
    expect(problems[2]?.reason).toMatch(/prefix length 33 is not from 0 to 32/);
    expect(problems[3]?.reason).toMatch(/a URL/);
    expect(problems[4]?.reason).toMatch(/public suffix/);
  });

  it('raises InputError for a missing file', async () => {
    const missing = join(directory, 'absent.txt');
    await expect(loadIntelLists([missing])).rejects.toBeInstanceOf(InputError);
    await expect(loadIntelLists([missing])).rejects.toThrow(/absent\.txt: cannot read .*ENOENT/);
  });

  it('loads empty and comment-only files', async () => {
    const empty = listFile('empty.txt', '');
    const comments = listFile('comments.txt', '# nothing yet\n\n   # indented\n');
    const lists = await loadIntelLists([empty, comments]);

    expect(lists.problems).toEqual([]);
    expect(lists.lists.map((list) => list.addresses + list.networks + list.domains)).toEqual([0, 0]);
    expect(matchIntel(lists, ['203.0.113.50'], ['evil.example.com'])).toEqual([]);
  });
});

describe('matchIntel', () => {
  const lists = emptyIntelLists();
  addIntelList(lists, 'mixed', MIXED_LIST);
  addIntelList(lists, 'second', '198.51.0.0/16\n198.51.100.7\nexample.com\n');

  it('matches an IPv4 address exactly', () => {
    expect(matchIntel(lists, ['203.0.113.50'], [])).toEqual([
      { list: 'mixed', entry: '203.0.113.50', matched: '203.0.113.50' },
    ]);
    expect(matchIntel(lists, ['203.0.113.51'], [])).toEqual([]);
  });

  it('matches IPv6 in any notation', () => {
    expect(matchIntel(lists, ['2001:db8::1'], [])).toEqual([
      { list: 'mixed', entry: '2001:db8::1', matched: '2001:db8::1' },
    ]);
    expect(matchIntel(lists, ['2001:0db8:0000::0001'], [])).toHaveLength(1);
    expect(matchIntel(lists, ['2001:db8::2'], [])).toEqual([]);
  });

  it('matches the longest network per list', () => {
    expect(matchIntel(lists, ['198.51.100.7'], [])).toEqual([
      { list: 'second', entry: '198.51.100.7', matched: '198.51.100.7' },
      { list: 'mixed', entry: '198.51.100.0/24', matched: '198.51.100.7' },
      { list: 'second', entry: '198.51.0.0/16', matched: '198.51.100.7' },
    ]);
    expect(matchIntel(lists, ['198.51.101.1'], [])).toEqual([
      { list: 'second', entry: '198.51.0.0/16', matched: '198.51.101.1' },
    ]);
    expect(matchIntel(lists, ['198.52.0.1'], [])).toEqual([]);
  });

  it('matches IPv6 networks and mapped IPv4', () => {
    expect(matchIntel(lists, ['2001:db8:ff12::9'], [])).toEqual([
      { list: 'mixed', entry: '2001:db8:ff00::/40', matched: '2001:db8:ff12::9' },
    ]);
    expect(matchIntel(lists, ['2001:db8:fe00::9'], [])).toEqual([]);
    expect(matchIntel(lists, ['::ffff:203.0.113.50'], [])).toHaveLength(1);
  });

  it('matches domains and their subdomains only', () => {
    expect(matchIntel(lists, [], ['evil.example.com'])).toEqual([
      { list: 'mixed', entry: 'evil.example.com', matched: 'evil.example.com' },
      { list: 'second', entry: 'example.com', matched: 'evil.example.com' },
    ]);
    expect(matchIntel(lists, [], ['A.B.Evil.Example.COM.'])).toHaveLength(2);
    expect(matchIntel(lists, [], ['notevil.example.com'])).toEqual([
      { list: 'second', entry: 'example.com', matched: 'notevil.example.com' },
    ]);
    expect(matchIntel(lists, [], ['bad.example.org', 'x.bad.example.org'])).toHaveLength(2);
    expect(matchIntel(lists, [], ['example.org', 'evil.example.com.au'])).toEqual([]);
  });

  it('matches internationalised names as punycode', () => {
    expect(matchIntel(lists, [], ['cdn.bücher-c2.de'])).toEqual([
      { list: 'mixed', entry: 'xn--bcher-c2-65a.de', matched: 'cdn.bücher-c2.de' },
    ]);
  });

  it('passes over unparseable values', () => {
    expect(matchIntel(lists, ['not-an-ip', ''], ['', '.'])).toEqual([]);
  });

  it('matches every address inside a listed network', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, bits) => {
        const local = emptyIntelLists();
        addIntelList(local, 'cidr', `${address}/${bits}`);
        const octets = address.split('.').map(Number);
        const value = octets.reduce((total, octet) => total * 256 + octet, 0);
        const hostBits = 32 - bits;
        // Any address sharing the first `bits` bits lies in the block; flip the last host bit to get one.
        const inside = hostBits === 0 ? value : (value ^ 1) >>> 0;
        const insideText = [24, 16, 8, 0].map((shift) => Math.floor(inside / 2 ** shift) % 256).join('.');
        expect(matchIntel(local, [insideText], [])).toHaveLength(1);
        // Flipping the last network bit leaves the block.
        if (bits > 0) {
          const outside = (value ^ (2 ** hostBits)) >>> 0;
          const outsideText = [24, 16, 8, 0].map((shift) => Math.floor(outside / 2 ** shift) % 256).join('.');
          expect(matchIntel(local, [outsideText], [])).toEqual([]);
        }
      }),
    );
  });

  it('matches any name below a listed domain', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 0, maxLength: 4 }), label, (prefix, registered) => {
        const local = emptyIntelLists();
        addIntelList(local, 'domains', `${registered}.example`);
        const name = [...prefix, registered, 'example'].join('.');
        expect(matchIntel(local, [], [name])).toHaveLength(1);
        expect(matchIntel(local, [], [`x${registered}.example`])).toEqual([]);
      }),
    );
  });
});
