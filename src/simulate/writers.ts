/** Writes generated events in input formats that beaconhunt reads: Zeek TSV (conn and ssl) and QRadar JSON. */
import type { ConnectionEvent } from '../model/event.js';
import type { LocalNetworks } from '../net/locality.js';

const CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
];
const CONN_TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
];
const SSL_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'version',
  'server_name',
  'established',
];
const SSL_TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'string', 'string', 'bool'];

/** Returns a Zeek uid: 'C' and 17 base-62 characters, derived from the event's position so output is stable. */
export function zeekUid(index: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let value = index * 2_654_435_761 + 97;
  let uid = 'C';
  for (let position = 0; position < 17; position += 1) {
    uid += alphabet[value % 62];
    value = Math.floor(value / 62) + position * 7919 + index;
  }
  return uid;
}

function zeekHeader(
  path: string,
  fields: readonly string[],
  types: readonly string[],
  opened: number,
): string {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    `#path\t${path}`,
    `#open\t${zeekDate(opened)}`,
    `#fields\t${fields.join('\t')}`,
    `#types\t${types.join('\t')}`,
  ].join('\n');
}

function zeekDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', '-').replaceAll(':', '-');
}

function unset(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}

export interface ZeekLogs {
  conn: string;
  ssl: string;
}

/** Renders events as Zeek conn.log and ssl.log text; events with a server name get an ssl.log row. */
export function toZeekTsv(events: readonly ConnectionEvent[], localNetworks: LocalNetworks): ZeekLogs {
  const opened = events[0]?.starttime ?? 0;
  const closed = events.at(-1)?.starttime ?? opened;
  const conn: string[] = [zeekHeader('conn', CONN_FIELDS, CONN_TYPES, opened)];
  const ssl: string[] = [zeekHeader('ssl', SSL_FIELDS, SSL_TYPES, opened)];
  events.forEach((event, index) => {
    const uid = zeekUid(index);
    const ts = (event.starttime / 1000).toFixed(6);
    const localOrig = localNetworks.isLocal(event.sourceip) ? 'T' : 'F';
    const localResp = localNetworks.isLocal(event.destinationip) ? 'T' : 'F';
    const packets = Math.max(1, Math.ceil((event.sourcebytes ?? 0) / 1400));
    conn.push(
      [
        ts,
        uid,
        event.sourceip,
        unset(event.sourceport),
        event.destinationip,
        unset(event.destinationport),
        unset(event.protocol),
        unset(event.service),
        unset(event.duration?.toFixed(6)),
        unset(event.sourcebytes),
        unset(event.destinationbytes),
        unset(event.connstate),
        localOrig,
        localResp,
        '0',
        event.protocol === 'tcp' ? 'ShADadFf' : 'Dd',
        packets,
        (event.sourcebytes ?? 0) + packets * 40,
        packets,
        (event.destinationbytes ?? 0) + packets * 40,
        '-',
      ].join('\t'),
    );
    if (event.servername) {
      ssl.push(
        [
          ts,
          uid,
          event.sourceip,
          unset(event.sourceport),
          event.destinationip,
          unset(event.destinationport),
          'TLSv13',
          event.servername,
          'T',
        ].join('\t'),
      );
    }
  });
  const close = `#close\t${zeekDate(closed)}`;
  return { conn: `${conn.join('\n')}\n${close}\n`, ssl: `${ssl.join('\n')}\n${close}\n` };
}

/** Renders events as a QRadar Ariel search result, `{"events": [...]}`, with eventdirection filled in. */
export function toQradarJson(events: readonly ConnectionEvent[], localNetworks: LocalNetworks): string {
  const records = events.map((event) => ({
    starttime: event.starttime,
    sourceip: event.sourceip,
    sourceport: event.sourceport,
    destinationip: event.destinationip,
    destinationport: event.destinationport,
    username: event.username,
    eventdirection: localNetworks.direction(event.sourceip, event.destinationip),
    protocolid: event.protocol === 'udp' ? 17 : 6,
    eventcount: 1,
  }));
  return `{"events": [\n${records.map((record) => `  ${JSON.stringify(record)}`).join(',\n')}\n]}\n`;
}
