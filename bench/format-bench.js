#!/usr/bin/env node
// Benchmark: ingest throughput per input format. It renders one seeded stream of synthetic connections in
// every line- or record-oriented format that `beaconhunt formats` lists, and checks a 100-record file of
// each with `beaconhunt import`. Then it times `importFiles` on the full file in a child process per
// format, so that each peak memory figure belongs to one format alone. It prints a Markdown table for
// docs/benchmarks.md; run `npm run build` first.
//
//   npm run bench:formats                              # 1,000,000 records per format
//   npm run bench:formats -- 200000                    # another size; several sizes are allowed
//   npm run bench:formats -- 200000 --only cef,leef    # format ids, or file name stems such as leef-syslog
//
// Generated files stay in bench/out/formats/ (ignored by git), named by format and record count, and a
// rerun reuses them. Delete that folder after changing a renderer here. Progress goes to stderr and the
// table to stdout.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { version as duckDbVersion } from '@duckdb/node-api';

import { importFiles } from '../dist/ingest/import.js';
import { INPUT_FORMATS } from '../dist/ingest/formats.js';
import { parseMapping, parseTimeFormat } from '../dist/ingest/generic/mapping.js';
import { Random } from '../dist/simulate/random.js';
import { zeekUid } from '../dist/simulate/writers.js';
import { DuckDbStore } from '../dist/store/duckdb.js';
import { EVENTS_TABLE } from '../dist/store/schema.js';

const scriptPath = fileURLToPath(import.meta.url);
const root = join(dirname(scriptPath), '..');
const outDir = join(root, 'bench', 'out', 'formats');
const cliPath = join(root, 'bin', 'beaconhunt.js');

/** Records in the file that `beaconhunt import` checks before a format is timed. */
const CHECK_RECORDS = 100;

/** Characters collected before one write to the output file. */
const CHUNK_CHARS = 4 * 2 ** 20;

/** Formats that are not line- or record-oriented text, so this benchmark does not cover them. */
const NOT_COVERED = new Map([
  ['pcap', 'binary packet captures'],
  ['zeek-conn-summary', 'recognised but never loaded'],
]);

// ---------------------------------------------------------------------------------------------------------
// The synthetic connections
// ---------------------------------------------------------------------------------------------------------

/** Start of the generated day. Every record falls on this UTC day, in time order. */
const DAY_START_MS = Date.parse('2024-04-19T00:00:00Z');
const BEACONS = 40;
/** Every BEACON_EVERY-th connection belongs to a beacon: 2 % of the traffic. */
const BEACON_EVERY = 50;
const RESOLVER = '10.0.0.53';
const USERS = ['alice', 'bob', 'carol', 'dave', null];
const WINDOWS_IMAGES = [
  'C:\\Windows\\System32\\svchost.exe',
  'C:\\Program Files\\Mozilla Firefox\\firefox.exe',
  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
  'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE',
];
const BEACON_IMAGE = 'C:\\Users\\alice\\AppData\\Local\\Temp\\agent.exe';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)';

/**
 * Yields `count` connections over one day in time order, the same on every run. 2 % come from 40 beacons
 * and go to 203.0.113.0/24 on port 443. The rest go from 2,000 office hosts to 20,000 web servers (TLS on
 * 443, HTTP on 80 and 8080) and to one DNS resolver. About 5 % of the web connections fail unanswered.
 */
function* connections(count) {
  const random = new Random(42);
  const stepUs = 86_400e6 / count;
  for (let index = 0; index < count; index += 1) {
    const micros = Math.round(DAY_START_MS * 1000 + (index + random.next()) * stepUs);
    const sourcePort = random.integer(1024, 65_535);
    let source;
    let destination;
    let destinationPort;
    let host;
    let failed = false;
    let image;
    let kind;
    if (index % BEACON_EVERY === 0) {
      const beacon = (index / BEACON_EVERY) % BEACONS;
      source = `10.1.${beacon}.10`;
      destination = `203.0.113.${beacon + 10}`;
      destinationPort = 443;
      host = `cdn-${beacon}.example.net`;
      image = BEACON_IMAGE;
      kind = 'ssl';
    } else {
      source = `10.2.${random.integer(0, 7)}.${random.integer(1, 250)}`;
      const serverGroup = random.integer(0, 79);
      const serverHost = random.integer(1, 250);
      const server = `198.51.${serverGroup}.${serverHost}`;
      host = `www${serverGroup * 250 + serverHost}.example.org`;
      image = random.pick(WINDOWS_IMAGES);
      const roll = random.next();
      if (roll < 0.85) {
        destination = server;
        if (roll < 0.6) {
          destinationPort = 443;
          kind = 'ssl';
        } else {
          destinationPort = roll < 0.8 ? 80 : 8080;
          kind = 'http';
        }
        failed = random.next() < 0.05;
      } else {
        // A lookup of the server's name: `host` is the query and `server` the address in the response.
        destination = RESOLVER;
        destinationPort = 53;
        kind = 'dns';
      }
    }
    let duration = random.between(0.01, 2);
    let sourceBytes = random.integer(200, 2000);
    let destinationBytes = random.integer(200, 90_000);
    if (kind === 'dns') {
      duration = random.between(0.001, 0.05);
      sourceBytes = random.integer(30, 60);
      destinationBytes = random.integer(60, 200);
    } else if (failed) {
      // A SYN without a reply, given up after 3 s.
      duration = 3;
      sourceBytes = 0;
      destinationBytes = 0;
    }
    yield {
      index,
      micros,
      ms: Math.floor(micros / 1000),
      iso: new Date(Math.floor(micros / 1000)).toISOString(),
      endMicros: micros + Math.round(duration * 1e6),
      duration,
      source,
      sourcePort,
      destination,
      destinationPort,
      protocol: kind === 'dns' ? 'udp' : 'tcp',
      service: kind,
      host,
      answer: kind === 'dns' ? `198.51.${random.integer(0, 79)}.${random.integer(1, 250)}` : null,
      uri: kind === 'http' ? `/page/${random.integer(1, 9999)}?session=${random.integer(1, 99_999)}` : null,
      failed,
      sourceBytes,
      destinationBytes,
      user: random.pick(USERS),
      image,
      device: `ws-${source.split('.').slice(2).join('-')}.example.local`,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Time notations
// ---------------------------------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Epoch seconds with six decimals, as Zeek writes `ts`. */
function epochSeconds(micros) {
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

/** `Apr 19 10:00:02`, the RFC 3164 timestamp, with the day padded by a space below 10. */
function syslogTime(iso) {
  const day = Number(iso.slice(8, 10));
  return `${MONTHS[Number(iso.slice(5, 7)) - 1]} ${String(day).padStart(2, ' ')} ${iso.slice(11, 19)}`;
}

/** `2024-04-19T10:00:02.123456+0000`, as Suricata writes times. */
function suricataTime(micros) {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1e6).padStart(6, '0')}+0000`;
}

/** `2024/04/19 10:00:02`, PAN-OS's time. */
function panTime(iso) {
  return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 19)}`;
}

/** `19/Apr/2024:10:00:02 +0000`, the common log format's time. */
function commonLogTime(iso) {
  return `${iso.slice(8, 10)}/${MONTHS[Number(iso.slice(5, 7)) - 1]}/${iso.slice(0, 4)}:${iso.slice(11, 19)} +0000`;
}

function isoOf(micros) {
  return new Date(Math.floor(micros / 1000)).toISOString();
}

// ---------------------------------------------------------------------------------------------------------
// Renderers, one per format. Each line copies the shape of the format's fixture in test/fixtures/.
// `record` returns a connection's text with its line breaks; `state` is per file and contains `count`.
// ---------------------------------------------------------------------------------------------------------

function httpUrl(connection) {
  const port = connection.destinationPort === 80 ? '' : `:${connection.destinationPort}`;
  return `http://${connection.host}${port}${connection.uri}`;
}

const zeekTsv = {
  name: 'zeek-tsv',
  id: 'zeek-tsv',
  extension: 'log',
  header: () =>
    [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\tconn',
      '#open\t2024-04-19-00-00-00',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring',
      '',
    ].join('\n'),
  record: (c) =>
    `${epochSeconds(c.micros)}\t${zeekUid(c.index)}\t${c.source}\t${c.sourcePort}\t${c.destination}\t` +
    `${c.destinationPort}\t${c.protocol}\t${c.failed ? '-' : c.service}\t${c.duration.toFixed(6)}\t` +
    `${c.sourceBytes}\t${c.destinationBytes}\t${c.failed ? 'S0' : 'SF'}\n`,
  footer: () => '#close\t2024-04-20-00-00-00\n',
};

const zeekJson = {
  name: 'zeek-json',
  id: 'zeek-json',
  extension: 'log',
  record: (c) =>
    `${JSON.stringify({
      _path: 'conn',
      ts: c.micros / 1e6,
      uid: zeekUid(c.index),
      'id.orig_h': c.source,
      'id.orig_p': c.sourcePort,
      'id.resp_h': c.destination,
      'id.resp_p': c.destinationPort,
      proto: c.protocol,
      ...(c.failed ? {} : { service: c.service }),
      duration: c.duration,
      orig_bytes: c.sourceBytes,
      resp_bytes: c.destinationBytes,
      conn_state: c.failed ? 'S0' : 'SF',
    })}\n`,
};

/** Returns the 16-digit Suricata flow id of a connection, written as JSON digits. */
function flowId(c) {
  return `18304057${String(c.index).padStart(8, '0')}`;
}

/** Renders the fields every EVE record starts with, without the closing brace. */
function eveRecordStart(c, eventType, micros) {
  return (
    `{"timestamp":"${suricataTime(micros)}","flow_id":${flowId(c)},"in_iface":"eth0","event_type":"${eventType}",` +
    `"src_ip":"${c.source}","src_port":${c.sourcePort},"dest_ip":"${c.destination}","dest_port":${c.destinationPort},` +
    `"proto":"${c.protocol.toUpperCase()}"`
  );
}

/**
 * Renders a flow record per connection. Successful TLS and HTTP connections also get their tls or http record,
 * and DNS connections a query and an answer record, before the flow record, as Suricata logs a flow when
 * it ends.
 */
function eveRecords(c) {
  let text = '';
  if (c.service === 'dns') {
    const id = c.index % 65_536;
    text +=
      `${eveRecordStart(c, 'dns', c.micros)},"dns":{"type":"query","id":${id},"rrname":"${c.host}",` +
      `"rrtype":"A","tx_id":0,"opcode":0}}\n`;
    text +=
      `${eveRecordStart(c, 'dns', c.endMicros)},"dns":{"version":2,"type":"answer","id":${id},"flags":"8180",` +
      `"qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"${c.host}","rrtype":"A","rcode":"NOERROR",` +
      `"answers":[{"rrname":"${c.host}","rrtype":"A","ttl":300,"rdata":"${c.answer}"}]}}\n`;
  } else if (!c.failed && c.service === 'ssl') {
    text +=
      `${eveRecordStart(c, 'tls', c.micros + 50_000)},"tls":{"subject":"CN=${c.host}","issuerdn":"CN=Example CA",` +
      `"sni":"${c.host}","version":"TLS 1.3"}}\n`;
  } else if (!c.failed) {
    text +=
      `${eveRecordStart(c, 'http', c.micros + 20_000)},"tx_id":0,"http":{"hostname":"${c.host}",` +
      `"http_port":${c.destinationPort},"url":${JSON.stringify(c.uri)},"http_user_agent":"${USER_AGENT}",` +
      `"http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":${c.destinationBytes}}}\n`;
  }
  const appProto = c.failed ? '' : `,"app_proto":"${c.service === 'ssl' ? 'tls' : c.service}"`;
  // TCP flags as the fixture's flows have them: SYN only for a failed connection, else SYN, FIN, PSH, ACK.
  let tcp = '';
  let state = 'established';
  let packets = [Math.ceil(c.sourceBytes / 500) + 2, Math.ceil(c.destinationBytes / 1400) + 2];
  if (c.failed) {
    tcp = ',"tcp":{"tcp_flags":"02","tcp_flags_ts":"02","tcp_flags_tc":"00","syn":true,"state":"syn_sent"}';
    state = 'new';
    packets = [3, 0];
  } else if (c.protocol === 'tcp') {
    tcp =
      ',"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,' +
      '"ack":true,"state":"closed"}';
    state = 'closed';
  }
  text +=
    `${eveRecordStart(c, 'flow', c.endMicros + 60_000_000)}${appProto},"flow":{"pkts_toserver":${packets[0]},` +
    `"pkts_toclient":${packets[1]},"bytes_toserver":${c.sourceBytes},"bytes_toclient":${c.destinationBytes},` +
    `"start":"${suricataTime(c.micros)}","end":"${suricataTime(c.endMicros)}","age":${Math.round(c.duration)},` +
    `"state":"${state}","reason":"timeout","alerted":false}${tcp}}\n`;
  return text;
}

const suricataEve = {
  name: 'suricata-eve (flow, tls, http, dns)',
  id: 'suricata-eve',
  extension: 'json',
  record: eveRecords,
};

function direction(c) {
  return c.destination.startsWith('10.') ? 'L2L' : 'L2R';
}

const qradarJson = {
  name: 'qradar-json',
  id: 'qradar-json',
  extension: 'json',
  header: () => '{"events": [\n',
  record: (c, state) =>
    JSON.stringify({
      starttime: c.ms,
      sourceip: c.source,
      sourceport: c.sourcePort,
      destinationip: c.destination,
      destinationport: c.destinationPort,
      userName: c.user,
      eventdirection: direction(c),
      protocolid: c.protocol === 'tcp' ? 6 : 17,
      eventcount: 1,
      logsourcename_logsourceid: 'fw-edge-01',
    }) + (c.index === state.count - 1 ? '\n' : ',\n'),
  footer: () => ']}\n',
};

const qradarCsv = {
  name: 'qradar-csv',
  id: 'qradar-csv',
  extension: 'csv',
  header: () =>
    '"starttime","sourceip","sourceport","destinationip","destinationport","userName","eventdirection",' +
    '"protocolid","eventcount","logsourcename_logsourceid"\n',
  record: (c) =>
    `${c.ms},${c.source},${c.sourcePort},${c.destination},${c.destinationPort},${c.user ?? ''},${direction(c)},` +
    `${c.protocol === 'tcp' ? 6 : 17},1,"fw-edge-01, rack 4"\n`,
};

/** Sysmon's UtcTime: `2024-04-19 10:00:02.250`. */
function sysmonTime(iso) {
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const sysmonJson = {
  name: 'sysmon-json (NXLog)',
  id: 'sysmon-json',
  extension: 'jsonl',
  record: (c) =>
    `${JSON.stringify({
      EventTime: `${c.iso.slice(0, 10)} ${c.iso.slice(11, 19)}`,
      Hostname: c.device,
      EventType: 'INFO',
      SeverityValue: 2,
      Severity: 'INFO',
      EventID: 3,
      SourceName: 'Microsoft-Windows-Sysmon',
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      SourceModuleName: 'eventlog',
      SourceModuleType: 'im_msvistalog',
      Category: 'Network connection detected (rule: NetworkConnect)',
      RuleName: '-',
      UtcTime: sysmonTime(c.iso),
      ProcessGuid: '{4a1b2c3d-0000-0000-0000-000000000001}',
      ProcessId: '4242',
      Image: c.image,
      User: c.user === null ? 'NT AUTHORITY\\SYSTEM' : `EXAMPLE\\${c.user}`,
      Protocol: c.protocol,
      Initiated: 'true',
      SourceIsIpv6: 'false',
      SourceIp: c.source,
      SourceHostname: '-',
      SourcePort: String(c.sourcePort),
      SourcePortName: '-',
      DestinationIsIpv6: 'false',
      DestinationIp: c.destination,
      DestinationHostname: c.service === 'dns' ? '-' : c.host,
      DestinationPort: String(c.destinationPort),
      DestinationPortName: '-',
    })}\n`,
};

/** Renders the EventData of a Sysmon network connection event. The values contain no XML special characters. */
function sysmonEventData(c, image, user) {
  const data = [
    ['RuleName', '-'],
    ['UtcTime', sysmonTime(c.iso)],
    ['ProcessGuid', '{4a1b2c3d-0000-0000-0000-000000000001}'],
    ['ProcessId', '4242'],
    ['Image', image],
    ['User', user],
    ['Protocol', c.protocol],
    ['Initiated', 'true'],
    ['SourceIsIpv6', 'false'],
    ['SourceIp', c.source],
    ['SourceHostname', '-'],
    ['SourcePort', c.sourcePort],
    ['SourcePortName', '-'],
    ['DestinationIsIpv6', 'false'],
    ['DestinationIp', c.destination],
    ['DestinationHostname', c.service === 'dns' ? '-' : c.host],
    ['DestinationPort', c.destinationPort],
    ['DestinationPortName', '-'],
  ];
  return `<EventData>${data.map(([name, value]) => `<Data Name="${name}">${value}</Data>`).join('')}</EventData>`;
}

const sysmonXml = {
  name: 'sysmon-xml (one event per line)',
  id: 'sysmon-xml',
  extension: 'xml',
  record: (c) =>
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>' +
    '<Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"/><EventID>3</EventID>' +
    '<Version>5</Version><Level>4</Level><Task>3</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>' +
    `<TimeCreated SystemTime="${c.iso.slice(0, 23)}0000Z"/><EventRecordID>${c.index + 1}</EventRecordID><Correlation/>` +
    '<Execution ProcessID="3000" ThreadID="3100"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel>' +
    `<Computer>${c.device}</Computer><Security UserID="S-1-5-18"/></System>` +
    `${sysmonEventData(c, c.image, c.user === null ? 'NT AUTHORITY\\SYSTEM' : `EXAMPLE\\${c.user}`)}</Event>\n`,
};

const sysmonLinux = {
  name: 'sysmon-xml (Linux, syslog)',
  id: 'sysmon-xml',
  slug: 'sysmon-linux',
  extension: 'log',
  record: (c) =>
    `${syslogTime(c.iso)} ${c.device.split('.')[0]} sysmon: <Event><System>` +
    '<Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>3</EventID>' +
    '<Version>5</Version><Level>4</Level><Task>3</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>' +
    `<TimeCreated SystemTime="${c.iso.slice(0, 23)}000000Z"/><EventRecordID>${c.index}</EventRecordID><Correlation/>` +
    '<Execution ProcessID="100" ThreadID="100"/><Channel>Linux-Sysmon/Operational</Channel>' +
    `<Computer>${c.device.split('.')[0]}</Computer><Security UserId="0"/></System>` +
    `${sysmonEventData(c, '/usr/bin/curl', c.user ?? 'root')}</Event>\n`,
};

const leefTab = {
  name: 'leef (1.0, tabs, devTime)',
  id: 'leef',
  extension: 'log',
  record: (c) => {
    const attributes = [
      `devTime=${c.ms}`,
      `src=${c.source}`,
      `srcPort=${c.sourcePort}`,
      `dst=${c.destination}`,
      `dstPort=${c.destinationPort}`,
      `proto=${c.protocol.toUpperCase()}`,
    ];
    if (c.user !== null) attributes.push(`usrName=${c.user}`);
    attributes.push(`srcBytes=${c.sourceBytes}`, `dstBytes=${c.destinationBytes}`, 'cat=Firewall');
    if (c.uri !== null) attributes.push(`url=${httpUrl(c)}`, `userAgent=${USER_AGENT}`);
    return `LEEF:1.0|Example|SecureGW|4.0|${c.failed ? 'Deny' : 'Allow'}|${attributes.join('\t')}\n`;
  },
};

const leefSyslog = {
  name: 'leef (2.0, RFC 5424 syslog)',
  id: 'leef',
  slug: 'leef-syslog',
  extension: 'log',
  record: (c) =>
    `<13>1 ${c.iso} gw01 securegw - - - LEEF:2.0|Example|SecureGW|4.0|${c.failed ? 'Deny' : 'Allow'}|^|` +
    `src=${c.source}^srcPort=${c.sourcePort}^dst=${c.destination}^dstPort=${c.destinationPort}` +
    `^proto=${c.protocol === 'tcp' ? 6 : 17}^srcBytes=${c.sourceBytes}^dstBytes=${c.destinationBytes}\n`,
};

/** Renders the CEF extension pairs after the time. `=` in a value is escaped as `\=`. */
function cefExtension(c) {
  let text =
    `src=${c.source} spt=${c.sourcePort} dst=${c.destination} dpt=${c.destinationPort} ` +
    `proto=${c.protocol.toUpperCase()} in=${c.sourceBytes} out=${c.destinationBytes}`;
  if (c.user !== null) text += ` suser=${c.user}`;
  text += ` act=${c.failed ? 'deny' : 'allow'}`;
  if (c.uri !== null) {
    text += ` request=${httpUrl(c).replaceAll('=', '\\=')} requestClientApplication=${USER_AGENT}`;
  }
  return text;
}

const cefBare = {
  name: 'cef (start and end)',
  id: 'cef',
  extension: 'log',
  record: (c) =>
    `CEF:0|Example Networks|EdgeWall|5.2|100|Connection allowed|3|start=${c.ms} ` +
    `end=${Math.floor(c.endMicros / 1000)} ${cefExtension(c)}\n`,
};

const cefSyslog = {
  name: 'cef (RFC 3164 syslog, rt)',
  id: 'cef',
  slug: 'cef-syslog',
  extension: 'log',
  record: (c) =>
    `<134>${syslogTime(c.iso)} fw01.example.net CEF:0|Example Networks|EdgeWall|5.2|100|Connection allowed|3|` +
    `rt=${c.ms} ${cefExtension(c)}\n`,
};

const iptables = {
  name: 'iptables',
  id: 'iptables',
  extension: 'log',
  record: (c) => {
    const uptime = (c.micros / 1e6 - DAY_START_MS / 1000 + 5000).toFixed(6).padStart(12, ' ');
    const transport =
      c.protocol === 'tcp'
        ? `LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=${c.index % 65_536} DF PROTO=TCP SPT=${c.sourcePort} ` +
          `DPT=${c.destinationPort} WINDOW=64240 RES=0x00 SYN URGP=0 `
        : `LEN=${c.sourceBytes + 28} TOS=0x00 PREC=0x00 TTL=64 ID=${c.index % 65_536} PROTO=UDP ` +
          `SPT=${c.sourcePort} DPT=${c.destinationPort} LEN=${c.sourceBytes + 8} `;
    return `${syslogTime(c.iso)} gw01 kernel: [${uptime}] OUTBOUND IN= OUT=eth0 SRC=${c.source} DST=${c.destination} ${transport}\n`;
  },
};

const pfsense = {
  name: 'pfsense-filterlog',
  id: 'pfsense-filterlog',
  extension: 'log',
  record: (c) => {
    const action = c.failed ? 'block' : 'pass';
    const id = c.index % 65_536;
    const fields =
      c.protocol === 'tcp'
        ? `5,,,1000000103,igb1,match,${action},out,4,0x0,,64,${id},0,DF,6,tcp,60,${c.source},${c.destination},` +
          `${c.sourcePort},${c.destinationPort},0,S,${(c.index * 2_654_435_761) % 4_294_967_296},,64240,,mss;sackOK;TS;nop;wscale`
        : `5,,,1000000103,igb1,match,${action},out,4,0x0,,64,${id},0,none,17,udp,${c.sourceBytes + 28},` +
          `${c.source},${c.destination},${c.sourcePort},${c.destinationPort},${c.sourceBytes + 8}`;
    return `${syslogTime(c.iso)} fw filterlog[4012]: ${fields}\n`;
  },
};

/** The first TRAFFIC record of test/fixtures/paloalto-traffic/traffic.log, split at its commas. */
const PAN_TEMPLATE = (
  'Apr 19 10:00:05 pa-fw01 1,2024/04/19 10:00:05,013201001234,TRAFFIC,end,2561,2024/04/19 10:00:05,10.1.2.3,' +
  '203.0.113.7,198.51.100.10,203.0.113.7,allow-web,example\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,' +
  'ethernet1/1,fwd,2024/04/19 10:00:05,40123,1,50100,443,61001,443,0x400053,tcp,allow,6120,1000,5120,14,' +
  '2024/04/19 10:00:02,3,any,,7001,0x0,10.0.0.0-10.255.255.255,United States,,7,7,tcp-fin,0,0,0,0,,pa-fw01,' +
  'from-policy,,0,,0,,0'
).split(',');

const paloalto = {
  name: 'paloalto-traffic',
  id: 'paloalto-traffic',
  extension: 'log',
  record: (c) => {
    const fields = [...PAN_TEMPLATE];
    const received = panTime(isoOf(c.endMicros + 1_000_000));
    fields[0] = `${syslogTime(isoOf(c.endMicros + 1_000_000))} pa-fw01 1`;
    fields[1] = received;
    fields[6] = received;
    fields[7] = c.source;
    fields[8] = c.destination;
    fields[10] = c.destination;
    fields[12] = c.user === null ? '' : `example\\${c.user}`;
    fields[14] = c.service === 'http' ? 'web-browsing' : c.service;
    if (c.failed) fields[14] = 'incomplete';
    fields[21] = received;
    fields[22] = String(c.index % 1_000_000);
    fields[24] = String(c.sourcePort);
    fields[25] = String(c.destinationPort);
    fields[27] = String(c.destinationPort);
    fields[29] = c.protocol;
    fields[30] = c.failed ? 'deny' : 'allow';
    fields[31] = String(c.sourceBytes + c.destinationBytes);
    fields[32] = String(c.sourceBytes);
    fields[33] = String(c.destinationBytes);
    fields[35] = panTime(c.iso);
    fields[36] = String(Math.ceil(c.duration));
    fields[45] = c.failed ? '0' : '7';
    fields[46] = c.protocol === 'tcp' ? 'tcp-fin' : 'aged-out';
    if (c.failed) fields[46] = 'policy-deny';
    return `${fields.join(',')}\n`;
  },
};

const NFDUMP_HEADER =
  'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,' +
  'ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr';

/** The fixture's columns from `in` to `exid`, which this benchmark keeps constant. */
const NFDUMP_CONSTANT =
  '2,3,0,0,24,0,0,0,192.0.2.254,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,' +
  '00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,' +
  '    0.000,192.0.2.1,0/0,1';

const nfdump = {
  name: 'nfdump-csv (1.6 to 1.7.4 columns)',
  id: 'nfdump-csv',
  extension: 'csv',
  header: () => `${NFDUMP_HEADER}\n`,
  record: (c, state) => {
    const end = isoOf(c.endMicros);
    const packets = c.failed ? 3 : Math.ceil(c.sourceBytes / 500) + 2;
    const replyPackets = c.failed ? 0 : Math.ceil(c.destinationBytes / 1400) + 2;
    state.bytes = (state.bytes ?? 0) + c.sourceBytes + c.destinationBytes;
    state.packets = (state.packets ?? 0) + packets + replyPackets;
    let flags = c.failed ? '......S.' : '...AP.SF';
    if (c.protocol === 'udp') flags = '........';
    return (
      `${c.iso.slice(0, 10)} ${c.iso.slice(11, 19)},${end.slice(0, 10)} ${end.slice(11, 19)},${c.duration.toFixed(3)},` +
      `${c.source},${c.destination},${c.sourcePort},${c.destinationPort},${c.protocol.toUpperCase()},${flags},0,0,` +
      `${packets},${c.sourceBytes},${replyPackets},${c.destinationBytes},${NFDUMP_CONSTANT},` +
      `${end.slice(0, 10)} ${end.slice(11, 23)}\n`
    );
  },
  footer: (state) =>
    `Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n${state.count},${state.bytes ?? 0},${state.packets ?? 0},0,0,0\n`,
};

/** The DeviceNetworkEvents columns of test/fixtures/defender-csv/network-events.csv, in its order. */
const DEFENDER_COLUMNS = [
  'Timestamp',
  'DeviceId',
  'DeviceName',
  'ActionType',
  'RemoteIP',
  'RemotePort',
  'RemoteUrl',
  'LocalIP',
  'LocalPort',
  'Protocol',
  'LocalIPType',
  'RemoteIPType',
  'InitiatingProcessFileName',
  'InitiatingProcessFolderPath',
  'InitiatingProcessAccountName',
  'InitiatingProcessAccountDomain',
  'AdditionalFields',
  'ReportId',
];

/** Converts a connection to a DeviceNetworkEvents record, with the keys in DEFENDER_COLUMNS order. */
function defenderRecord(c) {
  const separator = c.image.lastIndexOf('\\');
  return {
    Timestamp: `${c.iso.slice(0, 23)}${String(c.micros % 1000).padStart(3, '0')}0Z`,
    DeviceId: '3f1e0c9a7b',
    DeviceName: c.device,
    ActionType: c.failed ? 'ConnectionFailed' : 'ConnectionSuccess',
    RemoteIP: c.destination,
    RemotePort: c.destinationPort,
    RemoteUrl: c.service === 'dns' ? '' : c.host,
    LocalIP: c.source,
    LocalPort: c.sourcePort,
    Protocol: c.protocol === 'tcp' ? 'Tcp' : 'Udp',
    LocalIPType: 'Private',
    RemoteIPType: c.destination.startsWith('10.') ? 'Private' : 'Public',
    InitiatingProcessFileName: c.image.slice(separator + 1).toLowerCase(),
    InitiatingProcessFolderPath: c.image.toLowerCase(),
    InitiatingProcessAccountName: c.user ?? 'system',
    InitiatingProcessAccountDomain: c.user === null ? 'nt authority' : 'example',
    AdditionalFields: '',
    ReportId: c.index + 1,
  };
}

const defenderCsv = {
  name: 'defender-csv',
  id: 'defender-csv',
  extension: 'csv',
  header: () => `${DEFENDER_COLUMNS.join(',')}\n`,
  // The values contain no commas or quotes, so none needs quoting.
  record: (c) => {
    const record = defenderRecord(c);
    return `${DEFENDER_COLUMNS.map((column) => record[column]).join(',')}\n`;
  },
};

const defenderJson = {
  name: 'defender-json (JSON lines)',
  id: 'defender-json',
  extension: 'jsonl',
  record: (c) => `${JSON.stringify(defenderRecord(c))}\n`,
};

const squidNative = {
  name: 'squid',
  id: 'squid',
  extension: 'log',
  record: (c) => {
    const elapsedMs = Math.round(c.duration * 1000);
    const logged = `${((c.ms + elapsedMs) / 1000).toFixed(3)} ${String(elapsedMs).padStart(6, ' ')} ${c.source}`;
    const user = c.user ?? '-';
    const request = c.uri === null ? `CONNECT ${c.host}:${c.destinationPort}` : `GET ${httpUrl(c)}`;
    if (c.failed) return `${logged} TCP_MISS/503 4021 ${request} ${user} HIER_NONE/- text/html\n`;
    const code = c.uri === null ? 'TCP_TUNNEL/200' : 'TCP_MISS/200';
    const type = c.uri === null ? '-' : 'text/html';
    return `${logged} ${code} ${c.destinationBytes} ${request} ${user} HIER_DIRECT/${c.destination} ${type}\n`;
  },
};

const squidCommon = {
  name: 'squid-common (common and combined)',
  id: 'squid-common',
  extension: 'log',
  record: (c) => {
    const prefix = `${c.source} - ${c.user ?? '-'} [${commonLogTime(c.iso)}]`;
    const status = c.failed ? 503 : 200;
    if (c.uri === null) {
      const code = c.failed ? 'TCP_MISS:HIER_NONE' : 'TCP_TUNNEL:HIER_DIRECT';
      return `${prefix} "CONNECT ${c.host}:${c.destinationPort} HTTP/1.1" ${status} ${c.destinationBytes} ${code}\n`;
    }
    const code = c.failed ? 'TCP_MISS:HIER_NONE' : 'TCP_MISS:HIER_DIRECT';
    return `${prefix} "GET ${httpUrl(c)} HTTP/1.1" ${status} ${c.destinationBytes} "-" "${USER_AGENT}" ${code}\n`;
  },
};

const GENERIC_CSV_MAP =
  'starttime=time,sourceip=src,sourceport=sport,destinationip=dst,destinationport=dport,protocol=proto,' +
  'sourcebytes=bytes_out,destinationbytes=bytes_in,username=user';

const genericCsv = {
  name: 'generic-csv (--map, epoch-s)',
  id: 'generic-csv',
  extension: 'csv',
  cliArguments: ['--map', GENERIC_CSV_MAP, '--time-format', 'epoch-s'],
  header: () => 'time,src,sport,dst,dport,proto,bytes_out,bytes_in,user\n',
  record: (c) =>
    `${(c.ms / 1000).toFixed(3)},${c.source},${c.sourcePort},${c.destination},${c.destinationPort},${c.protocol},` +
    `${c.sourceBytes},${c.destinationBytes},${c.user ?? ''}\n`,
};

const genericJsonLines = {
  name: 'generic-jsonl (--map, JSON paths)',
  id: 'generic-jsonl',
  extension: 'jsonl',
  cliArguments: [
    '--map',
    'starttime=time,sourceip=$.net.src,sourceport=$.net.sport,destinationip=$.net.dst,destinationport=$.net.dport,protocol=$.net.proto',
  ],
  record: (c) =>
    `${JSON.stringify({
      time: c.iso,
      net: {
        src: c.source,
        sport: c.sourcePort,
        dst: c.destination,
        dport: c.destinationPort,
        proto: c.protocol,
      },
      user: c.user,
    })}\n`,
};

const FORMATS = [
  zeekTsv,
  zeekJson,
  suricataEve,
  qradarJson,
  qradarCsv,
  sysmonJson,
  sysmonXml,
  sysmonLinux,
  leefTab,
  leefSyslog,
  cefBare,
  cefSyslog,
  iptables,
  pfsense,
  paloalto,
  nfdump,
  defenderCsv,
  defenderJson,
  squidNative,
  squidCommon,
  genericCsv,
  genericJsonLines,
].map((format) => ({ slug: format.id, cliArguments: [], ...format }));

// ---------------------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------------------

function formatPath(format, count) {
  return join(outDir, `${format.slug}-${count}.${format.extension}`);
}

/**
 * Writes `count` connections in `format` to `path`, unless the file is there from an earlier run. The text
 * goes to a `.partial` file that is renamed when complete, so an interrupted run leaves no file to reuse.
 * The file's modification time is set to the end of the generated day.
 */
async function generate(format, path, count) {
  if (existsSync(path)) return;
  const started = process.hrtime.bigint();
  const partialPath = `${path}.partial`;
  const out = createWriteStream(partialPath);
  const state = { count };
  const write = async (text) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let chunk = format.header?.(state) ?? '';
  for (const connection of connections(count)) {
    chunk += format.record(connection, state);
    if (chunk.length >= CHUNK_CHARS) {
      await write(chunk);
      chunk = '';
    }
  }
  chunk += format.footer?.(state) ?? '';
  await write(chunk);
  out.end();
  await once(out, 'finish');
  // RFC 3164 times have no year. The readers take the latest year that puts a time at most one day after
  // the file's modification time, so a file last modified at the end of the generated day reads as 2024.
  const endOfDay = new Date(DAY_START_MS + 86_400_000);
  utimesSync(partialPath, endOfDay, endOfDay);
  renameSync(partialPath, path);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.error(`bench: wrote ${path} in ${seconds.toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------------------
// Checking and timing
// ---------------------------------------------------------------------------------------------------------

/**
 * Imports `path` with the CLI into a fresh DuckDB file and returns the events read, the lines skipped and
 * the CLI's summary, as printed on stderr.
 */
function checkWithCli(format, path) {
  const folder = mkdtempSync(join(tmpdir(), 'format-bench-'));
  try {
    const child = spawnSync(
      process.execPath,
      [
        cliPath,
        'import',
        path,
        '--db',
        join(folder, 'check.duckdb'),
        '--no-progress',
        ...format.cliArguments,
      ],
      { encoding: 'utf8' },
    );
    const counts = /(\d+) events? read, (\d+) lines? skipped/.exec(child.stderr);
    return {
      exitCode: child.status,
      events: counts ? Number(counts[1]) : NaN,
      skipped: counts ? Number(counts[2]) : NaN,
      output: child.stderr.trim(),
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Converts a format's `--map` and `--time-format` arguments to importFiles options. */
function importOptionsOf(cliArguments) {
  const options = {};
  for (let index = 0; index < cliArguments.length; index += 2) {
    const [flag, value] = [cliArguments[index], cliArguments[index + 1]];
    if (flag === '--map') options.mapping = parseMapping([value]);
    else if (flag === '--time-format') options.timeFormat = parseTimeFormat(value);
    else
      throw new Error(
        `bench: unsupported import argument ${flag}; only --map and --time-format are converted`,
      );
  }
  return options;
}

/**
 * Runs in the child process: imports one file into an in-memory store and writes the measurements to
 * stdout as JSON. `readSeconds` ends where importFiles starts its join and deduplication stage.
 */
async function measureImport(job) {
  const store = await DuckDbStore.open();
  const started = performance.now();
  let readEnded = null;
  const report = await importFiles(store, [job.path], {
    ...importOptionsOf(job.cliArguments),
    onStage: () => {
      readEnded ??= performance.now();
    },
  });
  const ended = performance.now();
  const [stored] = await store.all(`SELECT count(*) AS events FROM ${EVENTS_TABLE}`);
  await store.close();
  const summary = report.summary();
  process.stdout.write(
    JSON.stringify({
      importSeconds: (ended - started) / 1000,
      readSeconds: ((readEnded ?? ended) - started) / 1000,
      eventsRead: summary.eventsRead,
      eventsStored: stored.events,
      duplicatesDropped: summary.duplicatesDropped,
      linesSkipped: summary.linesSkipped,
      skippedByReason: summary.skippedByReason,
      samples: summary.samples,
      files: summary.files,
      // maxRSS is in kilobytes.
      peakMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

/** Times the import of `path` in a child process of its own and returns its measurements. */
function timeImport(format, path) {
  const child = spawnSync(
    process.execPath,
    [scriptPath, '--measure', JSON.stringify({ path, cliArguments: format.cliArguments })],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.status !== 0) {
    return { error: `the import child failed with exit code ${child.status}: ${child.stderr.trim()}` };
  }
  return JSON.parse(child.stdout);
}

// ---------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------

function usageError(message) {
  console.error(`bench: ${message}`);
  console.error('usage: node bench/format-bench.js [RECORDS...] [--only ID,ID]');
  process.exit(1);
}

/** Parses the sizes and `--only`. `--measure JOB` runs this script as the child that times one import. */
function parseCommandLine() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { only: { type: 'string' }, measure: { type: 'string' } },
    });
  } catch (error) {
    usageError(error.message);
  }
  const { values, positionals } = parsed;
  const sizes = positionals.map((text) => {
    const size = Number(text);
    if (!Number.isSafeInteger(size) || size < 1)
      usageError(`invalid record count "${text}": use a positive integer`);
    return size;
  });
  if (sizes.length === 0) sizes.push(1_000_000);
  let formats = FORMATS;
  if (values.only !== undefined) {
    const requested = values.only.split(',').map((name) => name.trim());
    const known = new Set(FORMATS.flatMap((format) => [format.id, format.slug]));
    const unknown = requested.filter((name) => !known.has(name));
    if (unknown.length > 0)
      usageError(`unknown format in --only: ${unknown.join(', ')}; use ${[...known].join(', ')}`);
    formats = FORMATS.filter((format) => requested.includes(format.id) || requested.includes(format.slug));
  }
  return { sizes, formats, measure: values.measure };
}

/** Lists the formats this benchmark leaves out, and warns about any other format it does not render. */
function reportUncoveredFormats() {
  const excluded = [...NOT_COVERED].map(([id, reason]) => `${id} (${reason})`).join(', ');
  console.error(`bench: not benchmarked: ${excluded}`);
  const rendered = new Set(FORMATS.map((format) => format.id));
  for (const { id } of INPUT_FORMATS) {
    if (!rendered.has(id) && !NOT_COVERED.has(id))
      console.error(`bench: warning: format ${id} is not benchmarked`);
  }
}

/** Describes the machine, with the one-minute load average when the run started and now. */
function describeMachine(startLoad) {
  return (
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Node ${process.version}, DuckDB ${duckDbVersion()}, ` +
    `load average ${startLoad.toFixed(2)} at start and ${loadavg()[0].toFixed(2)} at end`
  );
}

/** Returns the problems of one format's timed run, or an empty list when it loaded every record cleanly. */
function problemsOf(format, count, result) {
  const problems = [];
  if (result.error !== undefined) {
    problems.push(result.error);
    return problems;
  }
  const detected = result.files.map((file) => `${file.format} (${file.status})`).join(', ');
  if (result.files.some((file) => file.format !== format.id || file.status !== 'loaded')) {
    problems.push(`read as ${detected}, expected ${format.id}; ${result.files[0]?.message ?? ''}`);
  }
  if (result.eventsStored !== count || result.linesSkipped !== 0) {
    problems.push(
      `${count} records gave ${result.eventsRead} events read, ${result.eventsStored} stored, ` +
        `${result.duplicatesDropped} duplicates dropped, ${result.linesSkipped} lines skipped`,
    );
    for (const [reason, skipped] of Object.entries(result.skippedByReason)) {
      const where = result.samples
        .filter((sample) => sample.reason === reason)
        .map((sample) => `${sample.file}:${sample.line}`)
        .join(', ');
      problems.push(`  skipped ${skipped}: ${reason} (${where})`);
    }
  }
  return problems;
}

function formatNumber(value, digits = 0) {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Checks a CHECK_RECORDS file of each format with `beaconhunt import` and returns a problem line for each
 * format that did not load every record.
 */
async function checkFormats(formats) {
  const problems = [];
  for (const format of formats) {
    const checkPath = formatPath(format, CHECK_RECORDS);
    await generate(format, checkPath, CHECK_RECORDS);
    const check = checkWithCli(format, checkPath);
    if (check.exitCode !== 0 || check.events !== CHECK_RECORDS || check.skipped !== 0) {
      problems.push(
        `- ${format.name}, \`beaconhunt import\` of ${CHECK_RECORDS} records: exit code ${check.exitCode}, ` +
          `${check.events} events, ${check.skipped} lines skipped\n${check.output.replace(/^/gm, '    ')}`,
      );
    }
  }
  return problems;
}

/** Times each format at each size and returns the table rows and the problems found. */
async function timeFormats(sizes, formats) {
  const rows = [];
  const problems = [];
  for (const size of sizes) {
    for (const format of formats) {
      const path = formatPath(format, size);
      await generate(format, path, size);
      console.error(`bench: importing ${path}`);
      const result = timeImport(format, path);

      const found = problemsOf(format, size, result);
      if (found.length > 0)
        problems.push(`- ${format.name}, ${formatNumber(size)} records:\n  ${found.join('\n  ')}`);
      if (result.error !== undefined) continue;

      const megabytes = statSync(path).size / 2 ** 20;
      rows.push(
        `| ${format.name} | ${formatNumber(size)} | ${formatNumber(result.eventsStored)} | ${formatNumber(megabytes)} | ` +
          `${formatNumber(result.importSeconds, 2)} | ${formatNumber(result.readSeconds, 2)} | ` +
          `${formatNumber(result.eventsStored / result.importSeconds)} | ${formatNumber(megabytes / result.importSeconds, 1)} | ` +
          `${formatNumber(result.peakMb)} |`,
      );
    }
  }
  return { rows, problems };
}

function printReport(startLoad, rows, problems) {
  console.log(describeMachine(startLoad));
  console.log('');
  console.log('| format | records | events | file MB | import s | read s | events/s | MB/s | peak MB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  console.log('');
  console.log(
    'import s: the whole `importFiles` call; read s: its part before the join and deduplication stage. ' +
      'events/s and MB/s use import s; peak MB is the child process maximum resident set.',
  );
  console.log('');
  if (problems.length === 0) {
    console.log(
      `Every format loaded every record with 0 lines skipped (checked with ${CHECK_RECORDS} records too).`,
    );
    return;
  }
  console.log('Formats that did not load cleanly:');
  for (const problem of problems) console.log(problem);
}

async function main() {
  const { sizes, formats, measure } = parseCommandLine();
  if (measure !== undefined) {
    await measureImport(JSON.parse(measure));
    return;
  }
  reportUncoveredFormats();
  mkdirSync(outDir, { recursive: true });
  const [startLoad] = loadavg();
  const checkProblems = await checkFormats(formats);
  const { rows, problems } = await timeFormats(sizes, formats);
  printReport(startLoad, rows, [...checkProblems, ...problems]);
}

await main();
