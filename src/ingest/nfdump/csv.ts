/**
 * NetFlow, IPFIX and sFlow records as `nfdump -o csv` prints them. Two headers are read, and columns are
 * found by name in either, so a user-defined `-o csv:%ts,%sa,...` loads too:
 *
 * - Classic, nfdump 1.6 up to 1.7.4 (src/output/output_csv.c):
 *   `ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,...,ra,eng,exid,tr`, with times
 *   `2024-04-19 10:00:02` and the protocol as a name (TCP).
 * - nfdump 1.7.5 and later, whose csv output takes `fmt`-style tokens and names each column after its
 *   token: the default `%ts,%td,%pr,%sa,%sp,%da,%dp,%pkt,%byt,%fl` prints
 *   `firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows` (as reported for 1.7.6),
 *   with times `2024-04-19 10:00:02.250` and the protocol as a number.
 *
 * Without -q, nfdump ends the output with a summary block: `Summary`, the header
 * `flows,bytes,packets,avg_bps,avg_pps,avg_bpp` and one line of six numbers. Those lines are passed over.
 *
 * NOTE: nfdump prints times in the local time zone of the machine that ran it, without an offset, and
 * they are read as UTC. Run nfdump with TZ=UTC to get times that load unshifted.
 */
import type { EventColumnName } from '../../model/event.js';
import { sqlString } from '../../store/duckdb.js';
import { portSql, validIpAddressSql } from '../address.js';
import { csvFieldsSql, splitCsvFields } from '../csv-sql.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { linesTableSql } from '../lines.js';
import { projectLayersSql, type ProjectionLayer } from '../projection.js';
import { loadStagedEvents, type RecordCheck } from '../staged.js';
import type { FileSample } from '../sniff.js';
import { MAX_EPOCH_MS } from '../time.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';

const FORMAT_ID = 'nfdump-csv';

/** Logical columns and their names in the classic and the 1.7.5 headers, compared lower-cased. */
export const NFDUMP_COLUMNS = {
  start: ['ts', 'firstseen'],
  duration: ['td', 'duration'],
  sourceAddress: ['sa', 'srcaddr'],
  destinationAddress: ['da', 'dstaddr'],
  sourcePort: ['sp', 'srcport'],
  destinationPort: ['dp', 'dstport'],
  protocol: ['pr', 'proto'],
  flags: ['flg', 'flags'],
  inBytes: ['ibyt', 'inbytes', 'byt', 'bytes'],
  outBytes: ['obyt', 'outbytes'],
  flows: ['fl', 'flows'],
  router: ['ra', 'routerip'],
} as const;

export type NfdumpColumn = keyof typeof NFDUMP_COLUMNS;

/** The header of nfdump's summary block; the line after it holds six numbers. */
const SUMMARY_HEADER = 'flows,bytes,packets,avg_bps,avg_pps,avg_bpp';

export const NFDUMP_REJECT = {
  unbalancedQuotes: 'unbalanced quotes',
  wrongFieldCount: 'wrong field count',
  invalidStart: 'invalid first-seen time',
  invalidSource: 'invalid source address',
  invalidDestination: 'invalid destination address',
  invalidSourcePort: 'invalid source port',
  invalidDestinationPort: 'invalid destination port',
} as const;

/** Finds the 0-based position of each logical column in the header, -1 when absent. */
export function locateNfdumpColumns(header: readonly string[]): Record<NfdumpColumn, number> {
  const names = header.map((name) => name.trim().toLowerCase());
  const located = {} as Record<NfdumpColumn, number>;
  for (const [column, aliases] of Object.entries(NFDUMP_COLUMNS) as Array<
    [NfdumpColumn, readonly string[]]
  >) {
    located[column] = names.findIndex((name) => aliases.includes(name));
  }
  return located;
}

function headerOf(sample: FileSample): string[] | null {
  const first = sample.lines.find((line) => line.trim() !== '');
  return first === undefined ? null : splitCsvFields(first.trim());
}

/**
 * SQL for a first-seen time as epoch milliseconds: `YYYY-MM-DD hh:mm:ss` with optional milliseconds, epoch
 * seconds with a fraction (`%tsr`), or epoch milliseconds as plain digits (nfdump's fast csv). NULL for
 * anything else, including nfdump's `0000-00-00 00:00:00.000` for a missing time.
 */
function startTimeMsSql(text: string): string {
  const parsed = `(CASE
    WHEN regexp_full_match(${text}, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?')
      THEN epoch_ms(try_strptime(${text}, ['%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S']))
    WHEN regexp_full_match(${text}, '[0-9]{1,12}\\.[0-9]{1,6}') THEN CAST(round(CAST(${text} AS DOUBLE) * 1000) AS BIGINT)
    WHEN regexp_full_match(${text}, '[0-9]{1,15}') THEN CAST(${text} AS BIGINT)
  END)`;
  return `(CASE WHEN ${parsed} BETWEEN 1 AND ${MAX_EPOCH_MS} THEN ${parsed} END)`;
}

/** SQL for the protocol name: numbers 6, 17, 1 and 58 and nfdump's names, lower-cased; ICMP6 is icmp. */
function protocolSql(text: string): string {
  const lower = `lower(${text})`;
  return `(CASE ${lower} WHEN '6' THEN 'tcp' WHEN '17' THEN 'udp' WHEN '1' THEN 'icmp' WHEN '58' THEN 'icmp'
                     WHEN 'icmp6' THEN 'icmp' WHEN 'ipv6-icmp' THEN 'icmp' ELSE ${lower} END)`;
}

/**
 * Throws a WrongFormatError when the header lacks the first-seen time or an address. Only --format brings
 * such a file here, since detection requires the three columns.
 */
function requireNfdumpColumns(sample: FileSample, located: Record<NfdumpColumn, number>): void {
  const missing: string[] = [];
  if (located.start < 0) missing.push('ts or firstSeen');
  if (located.sourceAddress < 0) missing.push('sa or srcAddr');
  if (located.destinationAddress < 0) missing.push('da or dstAddr');
  if (missing.length === 0) return;
  throw wrongFormatError(
    sample,
    FORMAT_ID,
    `the header has no ${missing.join(', ')} column (first line ${quotedFirstLine(sample)})`,
    'the CSV that nfdump -o csv prints, with its header line',
  );
}

export const nfdumpCsvFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'NetFlow/IPFIX flows as printed by nfdump -o csv (1.6, 1.7)',
  recognisedBy: 'a CSV header with ts or firstSeen, sa or srcAddr, and da or dstAddr',
  example: [
    'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt',
    '2024-04-19 10:00:02,2024-04-19 10:00:02,0.120,10.1.2.3,203.0.113.7,50100,443,TCP,...AP.SF,0,0,7,1000,0,0',
  ].join('\n'),
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const header = headerOf(sample);
    if (header === null) return false;
    const located = locateNfdumpColumns(header);
    return located.start >= 0 && located.sourceAddress >= 0 && located.destinationAddress >= 0;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { sample } = context;
    const header = headerOf(sample) ?? [];
    const located = locateNfdumpColumns(header);
    requireNfdumpColumns(sample, located);
    const field = (column: NfdumpColumn): string =>
      located[column] < 0 ? 'CAST(NULL AS VARCHAR)' : `nullif(trim(f[${located[column] + 1}]), '')`;

    const headerLine = sqlString(header.join(','));
    const fieldLayer: ProjectionLayer = {
      start_text: field('start'),
      duration_text: field('duration'),
      source_address: field('sourceAddress'),
      destination_address: field('destinationAddress'),
      source_port_text: field('sourcePort'),
      destination_port_text: field('destinationPort'),
      ip_protocol: protocolSql(field('protocol')),
      tcp_flags: field('flags'),
      in_bytes: field('inBytes'),
      out_bytes: field('outBytes'),
      flows: field('flows'),
      router: field('router'),
    };
    const parsedLayer: ProjectionLayer = {
      start_ms: startTimeMsSql('start_text'),
      source_valid: `coalesce(${validIpAddressSql('source_address')}, false)`,
      destination_valid: `coalesce(${validIpAddressSql('destination_address')}, false)`,
      // The newer output prints ICMP type.code in the destination port.
      is_icmp: `coalesce(ip_protocol = 'icmp', false)`,
      source_port: portSql('source_port_text'),
      destination_port: portSql('destination_port_text'),
    };
    const count = (text: string): string =>
      `(CASE WHEN regexp_full_match(${text}, '[0-9]{1,18}') THEN CAST(${text} AS BIGINT) END)`;

    const checks: RecordCheck[] = [
      { when: 'f IS NULL', reject: NFDUMP_REJECT.unbalancedQuotes },
      // The summary block; its six numbers are tested only on lines of six fields.
      { when: `line IN ('Summary', ${sqlString(SUMMARY_HEADER)})`, ignore: true },
      { when: `len(f) = 6 AND regexp_full_match(line, '[0-9]+(,[0-9]+){5}')`, ignore: true },
      { when: `len(f) <> ${header.length} AND trim(line) = ''`, ignore: true },
      { when: `len(f) <> ${header.length}`, reject: NFDUMP_REJECT.wrongFieldCount },
      { when: 'start_ms IS NULL', reject: NFDUMP_REJECT.invalidStart },
      { when: 'NOT source_valid', reject: NFDUMP_REJECT.invalidSource },
      { when: 'NOT destination_valid', reject: NFDUMP_REJECT.invalidDestination },
      {
        when: 'NOT is_icmp AND source_port_text IS NOT NULL AND source_port IS NULL',
        reject: NFDUMP_REJECT.invalidSourcePort,
      },
      {
        when: 'NOT is_icmp AND destination_port_text IS NOT NULL AND destination_port IS NULL',
        reject: NFDUMP_REJECT.invalidDestinationPort,
      },
    ];
    const columns: Partial<Record<EventColumnName, string>> = {
      starttime: 'start_ms',
      sourceip: 'source_address',
      sourceport: '(CASE WHEN NOT is_icmp THEN source_port END)',
      destinationip: 'destination_address',
      destinationport: '(CASE WHEN NOT is_icmp THEN destination_port END)',
      protocol: 'ip_protocol',
      sourcebytes: count('in_bytes'),
      destinationbytes: count('out_bytes'),
      duration: 'TRY_CAST(duration_text AS DOUBLE)',
      // One direction of one flow: a SYN without ACK is an unanswered attempt; anything else is unknown.
      connstate: `(CASE WHEN ip_protocol = 'tcp' AND contains(tcp_flags, 'S') AND NOT contains(tcp_flags, 'A') THEN 'S0' END)`,
      eventcount: `coalesce(TRY_CAST(nullif(${count('flows')}, 0) AS INTEGER), 1)`,
      logsource: `'${FORMAT_ID}' || coalesce(':' || nullif(router, '0.0.0.0'), '')`,
    };
    // Blank lines are NULL; a header repeated further down comes from concatenated outputs.
    const splitSql = `SELECT line_no, line, ${csvFieldsSql('line')} AS f
                        FROM ${linesTableSql(sample)}
                        WHERE line IS NOT NULL AND line <> ${headerLine}`;
    const stageSql = projectLayersSql(splitSql, [fieldLayer, parsedLayer]);
    const counts = await loadStagedEvents(context, { stageSql, checks, columns });
    return { status: 'loaded', events: counts.events, skipped: counts.skipped };
  },
};
