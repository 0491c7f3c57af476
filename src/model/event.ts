/**
 * The normalised connection event. Every input format is loaded into one `events` table with these
 * columns. Names follow QRadar's Ariel field names where QRadar has the field, so a QRadar user can read
 * the table and the seed rule's SQL without a mapping.
 */

/** SQL column types used by the event table; each store maps them onto its own engine's types. */
export type ColumnType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
}

export const EVENT_COLUMNS = [
  { name: 'starttime', type: 'BIGINT', description: 'Connection start, epoch milliseconds (UTC).' },
  { name: 'sourceip', type: 'VARCHAR', description: 'Initiator address, IPv4 dotted or IPv6 text.' },
  { name: 'sourceport', type: 'INTEGER', description: 'Initiator port, null for ICMP or when absent.' },
  { name: 'destinationip', type: 'VARCHAR', description: 'Responder address.' },
  { name: 'destinationport', type: 'INTEGER', description: 'Responder port.' },
  { name: 'username', type: 'VARCHAR', description: 'Account that made the connection, when known.' },
  {
    name: 'eventdirection',
    type: 'VARCHAR',
    description: 'L2R, L2L, R2L or R2R: from the source when it records one, else from the local networks.',
  },
  { name: 'protocol', type: 'VARCHAR', description: 'Transport protocol in lower case: tcp, udp, icmp.' },
  {
    name: 'service',
    type: 'VARCHAR',
    description: 'Application protocol named by the sensor (Zeek service).',
  },
  { name: 'sourcebytes', type: 'BIGINT', description: 'Payload bytes sent by the initiator.' },
  { name: 'destinationbytes', type: 'BIGINT', description: 'Payload bytes sent by the responder.' },
  { name: 'duration', type: 'DOUBLE', description: 'Connection duration in seconds.' },
  {
    name: 'connstate',
    type: 'VARCHAR',
    description: "Connection state in Zeek's conn_state vocabulary (SF, S0, REJ, ...).",
  },
  { name: 'servername', type: 'VARCHAR', description: 'TLS SNI or HTTP Host, without a :port suffix.' },
  { name: 'uri', type: 'VARCHAR', description: 'HTTP request URI.' },
  { name: 'useragent', type: 'VARCHAR', description: 'HTTP User-Agent.' },
  {
    name: 'processimage',
    type: 'VARCHAR',
    description: 'Executable that opened the connection (Sysmon Image).',
  },
  { name: 'logsource', type: 'VARCHAR', description: 'Input format, and the reporting host when known.' },
  {
    name: 'eventcount',
    type: 'INTEGER',
    description: 'Events this record stands for: QRadar coalesces repeats into one record; 1 elsewhere.',
  },
  { name: 'uid', type: 'VARCHAR', description: 'Sensor flow id (Zeek uid), used to join protocol logs.' },
  { name: 'sourcefile', type: 'VARCHAR', description: 'Provenance: the input file.' },
  {
    name: 'sourceline',
    type: 'BIGINT',
    description: 'Provenance: 1-based line in the file, or the record number in a JSON array.',
  },
] as const satisfies readonly ColumnSpec[];

export type EventColumnName = (typeof EVENT_COLUMNS)[number]['name'];

/** One event as plain values, used where a parser written in TypeScript appends rows. */
export interface ConnectionEvent {
  starttime: number;
  sourceip: string;
  sourceport: number | null;
  destinationip: string;
  destinationport: number | null;
  username: string | null;
  eventdirection: string | null;
  protocol: string | null;
  service: string | null;
  sourcebytes: number | null;
  destinationbytes: number | null;
  duration: number | null;
  connstate: string | null;
  servername: string | null;
  uri: string | null;
  useragent: string | null;
  processimage: string | null;
  logsource: string | null;
  eventcount: number;
  uid: string | null;
  sourcefile: string;
  sourceline: number;
}

export const EVENT_COLUMN_NAMES: readonly EventColumnName[] = EVENT_COLUMNS.map((column) => column.name);

/** Returns an event with every optional column null, for parsers to fill in. */
export function emptyEvent(sourcefile: string, sourceline: number): ConnectionEvent {
  return {
    starttime: 0,
    sourceip: '',
    sourceport: null,
    destinationip: '',
    destinationport: null,
    username: null,
    eventdirection: null,
    protocol: null,
    service: null,
    sourcebytes: null,
    destinationbytes: null,
    duration: null,
    connstate: null,
    servername: null,
    uri: null,
    useragent: null,
    processimage: null,
    logsource: null,
    eventcount: 1,
    uid: null,
    sourcefile,
    sourceline,
  };
}
