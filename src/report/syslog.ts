/**
 * Sends findings to a SIEM's syslog listener: `udp://HOST:PORT` (one datagram per finding) or
 * `tcp://HOST:PORT` (one line per finding, the newline framing of RFC 6587 §3.4.2 that QRadar and
 * ArcSight connectors read). Each message gets an RFC 5424 header; the body is a CEF, LEEF or OCSF
 * JSON line.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { hostname } from 'node:os';

import { UsageError } from '../errors.js';

export interface SyslogTarget {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

const DEFAULT_SYSLOG_PORT = 514;

/** Reads `udp://HOST[:PORT]` or `tcp://HOST[:PORT]`; the port defaults to 514. */
export function parseSyslogTarget(text: string): SyslogTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--syslog ${text}: not a URL; write udp://HOST:PORT or tcp://HOST:PORT`);
  }
  const transport = url.protocol.replace(/:$/, '');
  if (transport !== 'udp' && transport !== 'tcp') {
    throw new UsageError(`--syslog ${text}: use udp:// or tcp://, as in udp://127.0.0.1:514`);
  }
  if (url.hostname === '') throw new UsageError(`--syslog ${text}: no host; write ${transport}://HOST:PORT`);
  const port = url.port === '' ? DEFAULT_SYSLOG_PORT : Number(url.port);
  return { transport, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** RFC 5424 facility 10 (security/authorization) and severities 4 warning, 5 notice, 6 informational. */
const FACILITY = 10;

/**
 * Wraps a message in an RFC 5424 header: priority, version 1, timestamp, host, app name, no process id,
 * message id, no structured data. `severity` is 0–7; `now` is the send time.
 */
export function syslogFrame(message: string, severity: number, messageId: string, now: Date): string {
  const host = hostname().replace(/\s+/g, '') || '-';
  return `<${FACILITY * 8 + severity}>1 ${now.toISOString()} ${host} beaconhunt - ${messageId} - ${message}`;
}

/** Largest UDP payload sent; a longer message is cut, since a datagram past the path MTU may be dropped. */
export const MAX_UDP_MESSAGE_BYTES = 8192;

function sendUdp(target: SyslogTarget, messages: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const family = target.host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    let truncated = 0;
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    const sendNext = (index: number): void => {
      if (index >= messages.length) {
        socket.close();
        resolve(truncated);
        return;
      }
      let payload = Buffer.from(messages[index]!, 'utf8');
      if (payload.length > MAX_UDP_MESSAGE_BYTES) {
        payload = payload.subarray(0, MAX_UDP_MESSAGE_BYTES);
        truncated += 1;
      }
      socket.send(payload, target.port, target.host, (error) => {
        if (error) {
          socket.close();
          reject(error);
        } else sendNext(index + 1);
      });
    };
    sendNext(0);
  });
}

function sendTcp(target: SyslogTarget, messages: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    socket.setTimeout(15_000, () => socket.destroy(new Error('the listener did not respond within 15 s')));
    socket.once('error', reject);
    socket.once('connect', () => {
      // A line break inside a message would split it in two under newline framing.
      const body = messages.map((message) => `${message.replace(/[\r\n]+/g, ' ')}\n`).join('');
      socket.end(body, () => resolve(0));
    });
  });
}

/**
 * Sends the framed messages and returns how many UDP messages were cut to MAX_UDP_MESSAGE_BYTES. Fails
 * with one line naming the target when it cannot send.
 */
export async function sendSyslog(target: SyslogTarget, messages: readonly string[]): Promise<number> {
  if (messages.length === 0) return 0;
  try {
    return target.transport === 'udp' ? await sendUdp(target, messages) : await sendTcp(target, messages);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `--syslog ${target.transport}://${target.host}:${target.port}: could not send (${reason}); check that the listener runs`,
    );
  }
}
