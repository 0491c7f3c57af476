/**
 * `scan --syslog` as a user runs it, against UDP and TCP listeners this file opens on loopback: the
 * messages that arrive, their RFC 5424 header and the CEF, LEEF or OCSF body, and the one-line error
 * when nothing listens.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { parseCefExtension, parseCefHeader } from '../src/ingest/cef/parse.js';
import { parseLeefAttributes, parseLeefHeader } from '../src/ingest/leef/parse.js';
import { beaconhunt } from './run-cli.js';
import { REPOSITORY_ROOT } from './shared-data.js';

const SAMPLE_ZEEK = join(REPOSITORY_ROOT, 'samples', 'zeek');
/** An RFC 5424 header from beaconhunt: facility 10, severity 4 to 6, version 1, message id, no data. */
const HEADER = /^<8[4-6]>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ beaconhunt - (cef|leef|ocsf) - /;

const closers: (() => void)[] = [];

afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function udpListener(): Promise<{ port: number; messages: string[] }> {
  const socket: Socket = createSocket('udp4');
  const messages: string[] = [];
  socket.on('message', (message) => messages.push(message.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  closers.push(() => socket.close());
  return { port: socket.address().port, messages };
}

async function tcpListener(): Promise<{ port: number; received: () => string }> {
  let data = '';
  const server: Server = createServer((connection) => connection.on('data', (chunk) => (data += chunk)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, received: () => data };
}

/** Waits until `count` messages arrived or a second passed; UDP gives no delivery signal. */
async function waitFor(messages: string[], count: number): Promise<void> {
  for (let waited = 0; messages.length < count && waited < 1000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('scan --syslog', () => {
  test('sends one CEF message per finding over UDP', async () => {
    const listener = await udpListener();
    const outcome = await beaconhunt(
      'scan',
      SAMPLE_ZEEK,
      '--top',
      '3',
      '--syslog',
      `udp://127.0.0.1:${listener.port}`,
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toContain(`sent 3 findings as CEF to udp://127.0.0.1:${listener.port}`);
    // The table still goes to stdout.
    expect(outcome.stdout).toContain('203.0.113.50');
    await waitFor(listener.messages, 3);
    expect(listener.messages).toHaveLength(3);
    for (const message of listener.messages) {
      const header = HEADER.exec(message);
      expect(header?.[1]).toBe('cef');
      const cef = message.slice(header![0].length);
      const parsed = parseCefHeader(cef, 0);
      if ('reject' in parsed) throw new Error(parsed.reject);
      expect(parsed.deviceVendor).toBe('beaconhunt');
      const fields = parseCefExtension(cef.slice(parsed.extensionStart));
      if ('reject' in fields) throw new Error(fields.reject);
      expect(fields.get('src')).toMatch(/^10\.20\./);
      expect(fields.get('cs1')).toBe('beacon');
    }
  });

  test('sends LEEF lines over TCP', async () => {
    const listener = await tcpListener();
    const outcome = await beaconhunt(
      'scan',
      SAMPLE_ZEEK,
      '--top',
      '2',
      '--leef',
      '--syslog',
      `tcp://127.0.0.1:${listener.port}`,
      '--quiet',
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = listener.received().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const header = HEADER.exec(line);
      expect(header?.[1]).toBe('leef');
      const leef = line.slice(header![0].length);
      const parsed = parseLeefHeader(leef, 0);
      if ('reject' in parsed) throw new Error(parsed.reject);
      const attributes = parseLeefAttributes(leef.slice(parsed.attributesStart), parsed.delimiter);
      expect(attributes.get('detector')).toBe('beacon');
      expect(attributes.get('technique')).toMatch(/^T1071/);
    }
  });

  test('sends OCSF JSON with --ocsf', async () => {
    const listener = await udpListener();
    await beaconhunt(
      'scan',
      SAMPLE_ZEEK,
      '--top',
      '1',
      '--ocsf',
      '--syslog',
      `udp://127.0.0.1:${listener.port}`,
    );
    await waitFor(listener.messages, 1);
    const message = listener.messages[0] ?? '';
    const header = HEADER.exec(message);
    expect(header?.[1]).toBe('ocsf');
    expect(JSON.parse(message.slice(header![0].length)).class_uid).toBe(2004);
  });

  test('names the listener when nothing accepts the connection', async () => {
    const listener = await tcpListener();
    closers.pop()?.();
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--syslog', `tcp://127.0.0.1:${listener.port}`);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(
      `--syslog tcp://127.0.0.1:${listener.port}: could not send (connect ECONNREFUSED`,
    );
    expect(outcome.stderr).toContain('check that the listener runs');
  });

  test('refuses another scheme', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--syslog', 'https://127.0.0.1:514');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('--syslog https://127.0.0.1:514: use udp:// or tcp://');
  });
});

describe('scan --cef, --leef and --ocsf on stdout', () => {
  test('write one line per finding and refuse --json beside them', async () => {
    for (const [flag, marker] of [
      ['--cef', 'CEF:0|beaconhunt|'],
      ['--leef', 'LEEF:2.0|beaconhunt|'],
      ['--ocsf', '{"class_uid":2004'],
    ] as const) {
      const outcome = await beaconhunt('scan', SAMPLE_ZEEK, flag, '--top', '4', '--quiet');
      expect(outcome.code).toBe(0);
      const lines = outcome.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(line.startsWith(marker)).toBe(true);
    }
    const clash = await beaconhunt('scan', SAMPLE_ZEEK, '--cef', '--json');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('cannot be used with option');
  });
});
