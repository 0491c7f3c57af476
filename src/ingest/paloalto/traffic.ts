/**
 * Palo Alto Networks PAN-OS traffic logs as the firewall sends them to syslog: comma-separated values at
 * fixed positions, with or without a syslog header glued to the first field. The positions are those of
 * "Traffic Log Fields" in the PAN-OS 9.1 and 10.0 administrator's guides
 * (docs.paloaltonetworks.com/pan-os/10-0/pan-os-admin/monitoring/use-syslog-for-monitoring/
 * syslog-field-descriptions/traffic-log-fields): FUTURE_USE, Receive Time, Serial Number, Type,
 * Threat/Content Type, FUTURE_USE, Generated Time, Source Address, Destination Address, ... Later PAN-OS
 * versions only append fields, so a record may have more fields than this reader uses.
 *
 * Records of other types (THREAT, SYSTEM, CONFIG, ...) are counted and passed over, and so are traffic
 * records of subtype `start`. A session logged at its start is logged again at its end with its final byte
 * counts, so loading both would count it twice. Every physical line is split in SQL, so a skipped line
 * points at its real line.
 */
import type { EventColumnName } from '../../model/event.js';
import { portSql, validIpAddressSql } from '../address.js';
import { csvFieldsSql, splitCsvFields } from '../csv-sql.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { linesTableSql } from '../lines.js';
import { projectLayersSql, type ProjectionLayer } from '../projection.js';
import { loadStagedEvents, type RecordCheck } from '../staged.js';
import type { FileSample } from '../sniff.js';
import { MAX_EPOCH_MS } from '../time.js';
import { countOf } from '../../text/plural.js';

const FORMAT_ID = 'paloalto-traffic';

/** 0-based positions of the traffic log fields used, as the PAN-OS documentation lists them. */
export const TRAFFIC_FIELD = {
  receiveTime: 1,
  serialNumber: 2,
  type: 3,
  subtype: 4,
  sourceAddress: 7,
  destinationAddress: 8,
  sourceUser: 12,
  application: 14,
  sourcePort: 24,
  destinationPort: 25,
  protocol: 29,
  action: 30,
  bytesSent: 32,
  bytesReceived: 33,
  startTime: 35,
  elapsedTime: 36,
  packetsReceived: 45,
  sessionEndReason: 46,
  deviceName: 52,
} as const;

/** Fields up to Elapsed Time, present in the traffic logs of every PAN-OS version documented. */
const MIN_TRAFFIC_FIELDS = TRAFFIC_FIELD.elapsedTime + 1;

/** PAN-OS times: `2024/04/19 10:00:02`, the firewall's local time. */
const PANOS_TIME_PATTERN = '[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}';
const PANOS_TIME_REGEX = new RegExp(`^${PANOS_TIME_PATTERN}$`);

export const PALOALTO_REJECT = {
  unbalancedQuotes: 'unbalanced quotes',
  notPanos: 'not a PAN-OS log record',
  tooFewFields: 'too few fields for a TRAFFIC record',
  invalidTime: 'invalid Start Time and Receive Time',
  invalidSource: 'invalid Source Address',
  invalidDestination: 'invalid Destination Address',
  invalidSourcePort: 'invalid Source Port',
  invalidDestinationPort: 'invalid Destination Port',
} as const;

/** SQL for the trimmed text of a field at a 0-based position, NULL when absent or empty. */
function field(position: number): string {
  return `nullif(trim(f[${position + 1}]), '')`;
}

/**
 * SQL for a PAN-OS time as epoch milliseconds, NULL when it is not a real time in range.
 * NOTE: PAN-OS writes the firewall's local time without an offset, and it is read as UTC, as the QRadar
 * and syslog readers read such times.
 */
function panosTimeMsSql(text: string): string {
  const parsed = `epoch_ms(try_strptime(${text}, '%Y/%m/%d %H:%M:%S'))`;
  return `(CASE WHEN regexp_full_match(${text}, '${PANOS_TIME_PATTERN}') THEN ${parsed} END)`;
}

/** SQL for a non-negative integer as BIGINT, NULL when absent or not plain digits. */
function countSql(text: string): string {
  return `(CASE WHEN regexp_full_match(${text}, '[0-9]{1,18}') THEN CAST(${text} AS BIGINT) END)`;
}

/** The fields used, as text, computed once per record. */
const FIELD_LAYER: ProjectionLayer = {
  receive_time: field(TRAFFIC_FIELD.receiveTime),
  serial_number: field(TRAFFIC_FIELD.serialNumber),
  log_type: field(TRAFFIC_FIELD.type),
  subtype: `lower(${field(TRAFFIC_FIELD.subtype)})`,
  source_address: field(TRAFFIC_FIELD.sourceAddress),
  destination_address: field(TRAFFIC_FIELD.destinationAddress),
  source_user: field(TRAFFIC_FIELD.sourceUser),
  application: `lower(${field(TRAFFIC_FIELD.application)})`,
  source_port_text: field(TRAFFIC_FIELD.sourcePort),
  destination_port_text: field(TRAFFIC_FIELD.destinationPort),
  ip_protocol: `lower(${field(TRAFFIC_FIELD.protocol)})`,
  action: `lower(${field(TRAFFIC_FIELD.action)})`,
  bytes_sent: field(TRAFFIC_FIELD.bytesSent),
  bytes_received: field(TRAFFIC_FIELD.bytesReceived),
  start_time: field(TRAFFIC_FIELD.startTime),
  elapsed_time: field(TRAFFIC_FIELD.elapsedTime),
  packets_received: field(TRAFFIC_FIELD.packetsReceived),
  end_reason: `lower(${field(TRAFFIC_FIELD.sessionEndReason)})`,
  device_name: field(TRAFFIC_FIELD.deviceName),
};

/** Values parsed from the fields, computed once per record. */
const PARSED_LAYER: ProjectionLayer = {
  // Start Time when it is a valid time, else Receive Time (older exports carry no usable Start Time).
  start_ms: `coalesce(${panosTimeMsSql('start_time')}, ${panosTimeMsSql('receive_time')})`,
  source_valid: `coalesce(${validIpAddressSql('source_address')}, false)`,
  destination_valid: `coalesce(${validIpAddressSql('destination_address')}, false)`,
  source_port: portSql('source_port_text'),
  destination_port: portSql('destination_port_text'),
  is_icmp: `coalesce(ip_protocol IN ('icmp', 'ipv6-icmp', 'icmp6'), false)`,
  received_packets: countSql('packets_received'),
};

/**
 * SQL for Zeek's connection state. deny and reset-* actions refused the session (REJ), drop actions let
 * the packets die unanswered (S0). For allowed sessions, a reset by either side is RSTO or RSTR, and a
 * session whose responder sent no packet is an unanswered attempt (S0).
 */
const CONNECTION_STATE_SQL = `(CASE
    WHEN action = 'deny' OR starts_with(action, 'reset') THEN 'REJ'
    WHEN starts_with(action, 'drop') THEN 'S0'
    WHEN end_reason = 'tcp-rst-from-client' THEN 'RSTO'
    WHEN end_reason = 'tcp-rst-from-server' THEN 'RSTR'
    WHEN received_packets = 0 THEN 'S0'
    ELSE 'SF'
  END)`;

const RECORD_CHECKS: readonly RecordCheck[] = [
  // trim() runs only on lines without commas: on every line it costs more than the split.
  { when: `len(f) = 1 AND trim(line) = ''`, ignore: true },
  { when: 'f IS NULL', reject: PALOALTO_REJECT.unbalancedQuotes },
  {
    when: `len(f) < 5 OR receive_time IS NULL OR NOT regexp_full_match(receive_time, '${PANOS_TIME_PATTERN}')`,
    reject: PALOALTO_REJECT.notPanos,
  },
  { when: `log_type IS DISTINCT FROM 'TRAFFIC'`, ignore: true },
  { when: `subtype = 'start'`, ignore: true },
  { when: `len(f) < ${MIN_TRAFFIC_FIELDS}`, reject: PALOALTO_REJECT.tooFewFields },
  {
    when: `start_ms IS NULL OR start_ms NOT BETWEEN 1 AND ${MAX_EPOCH_MS}`,
    reject: PALOALTO_REJECT.invalidTime,
  },
  { when: 'NOT source_valid', reject: PALOALTO_REJECT.invalidSource },
  { when: 'NOT destination_valid', reject: PALOALTO_REJECT.invalidDestination },
  { when: 'source_port_text IS NOT NULL AND source_port IS NULL', reject: PALOALTO_REJECT.invalidSourcePort },
  {
    when: 'destination_port_text IS NOT NULL AND destination_port IS NULL',
    reject: PALOALTO_REJECT.invalidDestinationPort,
  },
];

// NAT addresses and ports are left out: the pre-NAT ones name the inside host and the real server.
const EVENT_COLUMNS: Partial<Record<EventColumnName, string>> = {
  starttime: 'start_ms',
  sourceip: 'source_address',
  sourceport: '(CASE WHEN NOT is_icmp THEN source_port END)',
  destinationip: 'destination_address',
  destinationport: '(CASE WHEN NOT is_icmp THEN destination_port END)',
  username: 'source_user',
  protocol: `(CASE WHEN is_icmp THEN 'icmp' ELSE ip_protocol END)`,
  service: 'application',
  sourcebytes: countSql('bytes_sent'),
  destinationbytes: countSql('bytes_received'),
  duration: `(CASE WHEN regexp_full_match(elapsed_time, '[0-9]{1,12}') THEN CAST(elapsed_time AS DOUBLE) END)`,
  connstate: CONNECTION_STATE_SQL,
  logsource: `'${FORMAT_ID}:' || coalesce(device_name, serial_number, 'unknown')`,
};

/** Returns true when a line's fields are a PAN-OS log record of any type. */
export function isPanosRecord(line: string): boolean {
  const fields = splitCsvFields(line);
  if (fields === null || fields.length < 7) return false;
  return (
    PANOS_TIME_REGEX.test((fields[TRAFFIC_FIELD.receiveTime] ?? '').trim()) &&
    /^[A-Z]+$/.test((fields[TRAFFIC_FIELD.type] ?? '').trim())
  );
}

export const paloaltoTrafficFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'Palo Alto Networks PAN-OS traffic logs, syslog CSV',
  recognisedBy:
    'a first line of PAN-OS CSV: a receive time "YYYY/MM/DD hh:mm:ss" and a log type such as TRAFFIC',
  example:
    'Apr 19 10:00:05 pa-fw01 1,2024/04/19 10:00:05,013201001234,TRAFFIC,end,2561,2024/04/19 10:00:05,10.1.2.3,203.0.113.7,198.51.100.10,203.0.113.7,allow-web,example\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,2024/04/19 10:00:05,40123,1,50100,443,61001,443,0x400053,tcp,allow,6120,1000,5120,14,2024/04/19 10:00:02,3,any,,7001,0x0,10.0.0.0-10.255.255.255,United States,,7,7,tcp-fin,0,0,0,0,,pa-fw01,from-policy',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const first = sample.lines.find((line) => line.trim() !== '');
    return first !== undefined && isPanosRecord(first);
  },

  async load(context: LoadContext): Promise<LoadResult> {
    // Blank lines are NULL. A line of spaces is passed over by the first check.
    const splitSql = `SELECT line_no, line, ${csvFieldsSql('line')} AS f
                        FROM ${linesTableSql(context.sample)} WHERE line IS NOT NULL`;
    const counts = await loadStagedEvents(context, {
      stageSql: projectLayersSql(splitSql, [FIELD_LAYER, PARSED_LAYER]),
      checks: RECORD_CHECKS,
      columns: EVENT_COLUMNS,
    });
    if (counts.events === 0 && counts.skipped === 0 && counts.ignored > 0) {
      return {
        status: 'ignored',
        events: 0,
        skipped: 0,
        message: `no TRAFFIC end records among ${counts.ignored} PAN-OS records`,
      };
    }
    const result: LoadResult = { status: 'loaded', events: counts.events, skipped: counts.skipped };
    if (counts.ignored > 0) {
      result.message = `${countOf(counts.ignored, 'record')} of other log types or session starts ignored`;
    }
    return result;
  },
};
