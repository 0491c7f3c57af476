import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import {
  cleanUpFormatTests,
  detectedFormatId,
  fixturePath,
  importForTest,
  skippedLines,
  writeTemp,
} from '../../../test/format-helpers.js';
import { parseRequestTarget, squidConnectionState, SQUID_REJECT } from './access.js';

afterEach(cleanUpFormatTests);

describe('parseRequestTarget', () => {
  test('reads CONNECT targets and URLs', () => {
    expect(parseRequestTarget('CONNECT', 'c2.example.net:443')).toEqual({
      host: 'c2.example.net',
      port: 443,
    });
    expect(parseRequestTarget('CONNECT', '[2001:db8::7]:443')).toEqual({ host: '2001:db8::7', port: 443 });
    expect(parseRequestTarget('GET', 'http://Example.org/x')).toEqual({ host: 'example.org', port: 80 });
    expect(parseRequestTarget('GET', 'https://u:p@example.org:8443/')).toEqual({
      host: 'example.org',
      port: 8443,
    });
    expect(parseRequestTarget('GET', 'gopher://example.org/')).toEqual({ host: 'example.org', port: null });
  });

  test('returns null without a host', () => {
    expect(parseRequestTarget('NONE', 'error:invalid-request')).toBeNull();
    expect(parseRequestTarget('CONNECT', 'error:transaction-end-before-headers')).toBeNull();
    expect(parseRequestTarget('GET', '/index.html')).toBeNull();
  });

  test('reads an unbracketed IPv6 CONNECT target', () => {
    expect(parseRequestTarget('CONNECT', '2001:db8::1:443')).toEqual({ host: '2001:db8::1', port: 443 });
    expect(parseRequestTarget('CONNECT', '2001:DB8:0:0:0:0:0:7:8443')).toEqual({
      host: '2001:db8:0:0:0:0:0:7',
      port: 8443,
    });
    expect(parseRequestTarget('CONNECT', '::1:22')).toEqual({ host: '::1', port: 22 });
  });

  test.each([
    ['CONNECT', 'example.org:99999', SQUID_REJECT.invalidConnectTarget],
    ['CONNECT', '2001:db8::1:99999', SQUID_REJECT.invalidConnectTarget],
    ['CONNECT', '2001:db8:zz::1:443', SQUID_REJECT.invalidConnectTarget],
    ['CONNECT', '2001:db8::443', SQUID_REJECT.invalidConnectTarget],
    ['CONNECT', '[2001:db8::1:443', SQUID_REJECT.invalidConnectTarget],
    ['GET', 'http://[2001:db8::1/', SQUID_REJECT.invalidUrlHost],
    ['GET', 'http://example.org:70000/', SQUID_REJECT.invalidUrlHost],
    ['GET', 'http:///path', SQUID_REJECT.invalidUrlHost],
  ])('rejects %s %s', (method, target, reason) => {
    expect(parseRequestTarget(method, target)).toEqual({ reject: reason });
  });

  test('reads every IPv6 address as a bare CONNECT target', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 65535 }), (address, port) => {
        expect(parseRequestTarget('CONNECT', `${address}:${port}`)).toEqual({
          host: address.toLowerCase(),
          port,
        });
      }),
    );
  });

  test('round-trips generated host names and ports', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 65535 }),
        (labels, port) => {
          const host = labels.join('.');
          expect(parseRequestTarget('CONNECT', `${host}:${port}`)).toEqual({ host, port });
          expect(parseRequestTarget('GET', `http://${host}:${port}/path?q=1`)).toEqual({ host, port });
        },
      ),
    );
  });

  test('never throws', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        (method, target) => parseRequestTarget(method, target) !== undefined,
      ),
    );
  });
});

describe('squidConnectionState', () => {
  test('maps denied, unanswered and served requests', () => {
    expect(squidConnectionState('TCP_DENIED', 403, 'HIER_NONE')).toBe('REJ');
    expect(squidConnectionState('TCP_MISS', 503, 'HIER_NONE')).toBe('S0');
    expect(squidConnectionState('NONE_NONE', 0, null)).toBe('S0');
    expect(squidConnectionState('TCP_MISS', 503, 'HIER_DIRECT')).toBe('SF');
    expect(squidConnectionState('TCP_TUNNEL', 200, 'HIER_DIRECT')).toBe('SF');
  });
});

describe('squid native', () => {
  const fixture = (name: string): string => fixturePath('squid', name);

  test('is detected', async () => {
    expect(await detectedFormatId(fixture('access.log'))).toBe('squid');
    expect(await detectedFormatId(fixture('malformed.log'))).toBe('squid');
  });

  test('maps a CONNECT tunnel', async () => {
    const { summary, events } = await importForTest([fixture('access.log')]);

    expect(summary.files[0]).toMatchObject({ format: 'squid', status: 'loaded', events: 7, skipped: 0 });
    expect(summary.files[0]?.message).toBe('1 request without a server host ignored');
    expect(events[0]).toMatchObject({
      starttime: 1713520802370 - 120,
      duration: 0.12,
      sourceip: '10.1.2.3',
      sourceport: null,
      destinationip: '203.0.113.7',
      destinationport: 443,
      servername: 'c2.example.net',
      protocol: 'tcp',
      service: null,
      uri: null,
      destinationbytes: 5120,
      connstate: 'SF',
      username: null,
      logsource: 'squid',
      sourceline: 1,
    });
  });

  test('maps plain requests, denials and failures', async () => {
    const { events } = await importForTest([fixture('access.log')]);

    expect(events[1]).toMatchObject({
      destinationip: '198.51.100.80',
      destinationport: 80,
      servername: 'updates.example.org',
      uri: 'http://updates.example.org/check?id=7',
      service: 'http',
      username: 'alice',
    });
    expect(events[2]).toMatchObject({
      connstate: 'REJ',
      destinationip: 'blocked.example.com',
      destinationport: 8443,
    });
    expect(events[3]).toMatchObject({ connstate: 'S0', destinationip: 'down.example.net' });
    expect(events[4]).toMatchObject({
      destinationip: '203.0.113.9',
      destinationport: 8080,
      servername: null,
    });
  });

  test('reads IPv6, encoded users and appended headers', async () => {
    const { events } = await importForTest([fixture('access.log')]);

    expect(events[5]).toMatchObject({
      sourceip: '2001:db8:10::3',
      destinationip: '2001:db8:feed::7',
      username: 'b@example',
      servername: null,
    });
    expect(events[6]).toMatchObject({
      sourceline: 8,
      destinationip: '203.0.113.7',
      uri: 'http://c2.example.net/beacon',
    });
  });

  test('loads a CONNECT to an unbracketed IPv6 address', async () => {
    const content = [
      '1713520802.370    120 2001:db8:10::3 TCP_TUNNEL/200 5120 CONNECT 2001:db8:feed::7:443 - HIER_DIRECT/2001:db8:feed::7 -',
      '1713520862.370    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT 2001:db8:feed::7 - HIER_DIRECT/2001:db8:feed::7 -',
      '1713520922.370    120 10.1.2.3 TCP_MISS/200 5120 GET http://[2001:db8:feed::7/ - HIER_DIRECT/2001:db8:feed::7 -',
      '1713520982.370      0 10.1.2.3 NONE_NONE/400 3800 NONE error:invalid-request - HIER_NONE/- text/html',
      '',
    ].join('\n');
    const path = await writeTemp('access.log', content);
    const { summary, events } = await importForTest([path]);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      sourceip: '2001:db8:10::3',
      destinationip: '2001:db8:feed::7',
      destinationport: 443,
      servername: null,
    });
    expect(skippedLines(summary)).toEqual([
      `2: ${SQUID_REJECT.invalidConnectTarget}`,
      `3: ${SQUID_REJECT.invalidUrlHost}`,
    ]);
    expect(summary.files[0]?.message).toBe('1 request without a server host ignored');
    await expect(importForTest([path], { strict: true })).rejects.toThrow(/access\.log:2/);
  });

  test('reports malformed lines with their numbers', async () => {
    const { summary, events } = await importForTest([fixture('malformed.log')]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 8]);
    expect(skippedLines(summary)).toEqual([
      `2: ${SQUID_REJECT.wrongFieldCount}`,
      `3: ${SQUID_REJECT.invalidTime}`,
      `4: ${SQUID_REJECT.invalidClient}`,
      `5: ${SQUID_REJECT.invalidStatus}`,
      `6: ${SQUID_REJECT.invalidElapsed}`,
      `7: ${SQUID_REJECT.invalidTime}`,
    ]);
  });
});

describe('squid-common', () => {
  const fixture = (name: string): string => fixturePath('squid-common', name);

  test('is detected', async () => {
    expect(await detectedFormatId(fixture('access.log'))).toBe('squid-common');
    expect(await detectedFormatId(fixture('malformed.log'))).toBe('squid-common');
  });

  test('leaves a web server log alone', async () => {
    const web = '192.0.2.1 - - [19/Apr/2024:10:00:02 +0000] "GET /index.html HTTP/1.1" 200 512\n';
    expect(await detectedFormatId(await writeTemp('access.log', web))).toBeNull();
  });

  test('maps common and combined lines', async () => {
    const { summary, events } = await importForTest([fixture('access.log')]);

    expect(summary.files[0]).toMatchObject({
      format: 'squid-common',
      status: 'loaded',
      events: 5,
      skipped: 0,
    });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2),
      sourceip: '10.1.2.3',
      destinationip: 'c2.example.net',
      destinationport: 443,
      servername: 'c2.example.net',
      destinationbytes: 5120,
      connstate: 'SF',
      duration: null,
      logsource: 'squid-common',
    });
    expect(events[1]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 1, 2),
      username: 'alice',
      useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      uri: 'http://updates.example.org/check?id=7',
    });
    expect(events[2]).toMatchObject({ connstate: 'REJ' });
    expect(events[3]).toMatchObject({ destinationip: '203.0.113.9', servername: null });
    expect(events[4]).toMatchObject({ sourceip: '2001:db8:10::3', destinationip: '2001:db8:feed::7' });
  });

  test('loads a CONNECT to an unbracketed IPv6 address', async () => {
    const content = [
      '2001:db8:10::3 - - [19/Apr/2024:10:00:02 +0000] "CONNECT 2001:db8:feed::7:443 HTTP/1.1" 200 5120 TCP_TUNNEL:HIER_DIRECT',
      '10.1.2.3 - - [19/Apr/2024:10:00:03 +0000] "CONNECT c2.example.net:https HTTP/1.1" 200 5120 TCP_TUNNEL:HIER_DIRECT',
      '',
    ].join('\n');
    const { summary, events } = await importForTest([await writeTemp('access.log', content)]);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ destinationip: '2001:db8:feed::7', destinationport: 443 });
    expect(skippedLines(summary)).toEqual([`2: ${SQUID_REJECT.invalidConnectTarget}`]);
  });

  test('reports malformed lines with their numbers', async () => {
    const { summary, events } = await importForTest([fixture('malformed.log')]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 8]);
    expect(summary.files[0]?.message).toBe('1 request without a server host ignored');
    expect(skippedLines(summary)).toEqual([
      `2: ${SQUID_REJECT.notCommonLogFormat}`,
      `3: ${SQUID_REJECT.invalidTime}`,
      `4: ${SQUID_REJECT.invalidClient}`,
      `5: ${SQUID_REJECT.invalidRequest}`,
      `7: ${SQUID_REJECT.notCommonLogFormat}`,
    ]);
  });
});
