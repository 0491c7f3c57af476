import { describe, expect, it } from 'vitest';

import { classifyUserAgent, COBALT_STRIKE_DEFAULT_USER_AGENT, isMainstreamBrowser } from './user-agent.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.1 Mobile/15E148 Safari/604.1';
const IE11 = 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko';
const POWERSHELL = 'Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.1';

describe('classifyUserAgent', () => {
  it.each([
    [null, 'empty'],
    ['', 'empty'],
    ['   ', 'empty'],
    [COBALT_STRIKE_DEFAULT_USER_AGENT, 'c2-default'],
    ['curl/8.4.0', 'tool'],
    ['Wget/1.21.2', 'tool'],
    ['python-requests/2.31.0', 'tool'],
    ['Python-urllib/3.11', 'tool'],
    ['Go-http-client/1.1', 'tool'],
    [POWERSHELL, 'tool'],
    ['Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)', 'outdated'],
    ['Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)', 'outdated'],
    ['Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)', 'outdated'],
    ['Mozilla/5.0', 'short'],
    ['x', 'short'],
  ])('%j is %s', (value, kind) => {
    expect(classifyUserAgent(value, 11)?.kind).toBe(kind);
  });

  it.each([
    CHROME,
    FIREFOX,
    SAFARI,
    IE11,
    'Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)',
    'Modzilla/0.0001 (Atari 7800)',
    'Microsoft-CryptoAPI/10.0',
  ])('%j passes', (value) => {
    expect(classifyUserAgent(value, 11)).toBeNull();
  });

  it('names the reason', () => {
    expect(classifyUserAgent('curl/8.4.0', 11)?.reason).toBe('the curl default User-Agent');
    expect(classifyUserAgent('Mozilla/4.0 (compatible; MSIE 7.0)', 11)?.reason).toBe(
      'claims Internet Explorer 7',
    );
    expect(classifyUserAgent('abc', 11)?.reason).toBe('only 3 characters');
  });

  it('uses the length threshold inclusively', () => {
    expect(classifyUserAgent('a'.repeat(11), 11)?.kind).toBe('short');
    expect(classifyUserAgent('a'.repeat(12), 11)).toBeNull();
    expect(classifyUserAgent('a'.repeat(12), 0)).toBeNull();
  });
});

describe('isMainstreamBrowser', () => {
  it.each([CHROME, FIREFOX, SAFARI, IE11])('%j is a browser', (value) => {
    expect(isMainstreamBrowser(value)).toBe(true);
  });

  it.each([
    'Modzilla/0.0001 (Atari 7800)',
    COBALT_STRIKE_DEFAULT_USER_AGENT,
    'curl/8.4.0',
    'Mozilla/5.0',
    'Mozilla/5.0 zgrab/0.x',
    'Chrome/123.0 Safari/537.36',
    '',
  ])('%j is not', (value) => {
    expect(isMainstreamBrowser(value)).toBe(false);
  });
});
