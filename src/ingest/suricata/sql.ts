/**
 * SQL for the values of Suricata's EVE records that need more than a cast: timestamps with a UTC offset
 * and the connection state of a flow record.
 */

/** The strptime form of Suricata's timestamps: 2024-04-19T10:00:00.123456+0000. */
const SURICATA_TIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f%z';

/** Pattern for ISO 8601 text that ends in a UTC offset after the time of day: `…:05Z`, `…:05.5+02:00`. */
const ISO_OFFSET_PATTERN = ':[0-9]{2}(\\.[0-9]+)?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$';

/**
 * Builds SQL for an EVE timestamp as epoch microseconds (UTC), NULL when it is not a valid time.
 * Suricata writes local time with a numeric offset without a colon (`+0200`), which the strptime form
 * reads and applies. Other ISO 8601 text falls back to a cast: TIMESTAMPTZ when it carries an offset or
 * `Z`, and TIMESTAMP (read as UTC) when it has none, because a TIMESTAMPTZ cast would read offset-free
 * text in the session's time zone.
 */
export function eveTimeUsSql(text: string): string {
  return `coalesce(epoch_us(try_strptime(${text}, '${SURICATA_TIME_FORMAT}')),
    CASE WHEN regexp_matches(${text}, '${ISO_OFFSET_PATTERN}') THEN epoch_us(TRY_CAST(${text} AS TIMESTAMPTZ))
         ELSE epoch_us(TRY_CAST(${text} AS TIMESTAMP)) END)`;
}

/** TCP flag bits in Suricata's hex flag fields (`tcp_flags_ts`, `tcp_flags_tc`). */
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;

export interface FlowStateColumns {
  /** Lower-case transport protocol. */
  protocol: string;
  /** `flow.state`: new, established, closed or bypassed. */
  flowState: string;
  /** `tcp.tcp_flags_ts`: the flags the client sent, as two hex digits. */
  clientFlags: string;
  /** `tcp.tcp_flags_tc`: the flags the server sent, as two hex digits. */
  serverFlags: string;
}

/**
 * Builds SQL for a flow's state in Zeek's conn_state vocabulary, so that detectors read Suricata flows
 * as they read conn.log. A TCP flow is judged from the flags each side sent, with Zeek's meanings:
 *
 * | Client sent            | Server sent              | State                                 |
 * | ---------------------- | ------------------------ | ------------------------------------- |
 * | SYN                    | RST, no SYN              | REJ                                   |
 * | no SYN                 | SYN and RST              | RSTRH                                 |
 * | anything else          | RST                      | RSTR                                  |
 * | RST                    | something                | RSTO                                  |
 * | SYN and RST, no FIN    | nothing                  | RSTOS0                                |
 * | FIN                    | FIN                      | SF                                    |
 * | FIN                    | nothing / something      | SH / S2                               |
 * | nothing / something    | FIN                      | SHR / S3                              |
 * | SYN                    | nothing                  | S0                                    |
 * | SYN                    | SYN                      | S1                                    |
 * | anything else          |                          | OTH                                   |
 *
 * A TCP flow without flags, and any other protocol, is judged from `flow.state`: for TCP closed is SF and
 * established is S1. For UDP and ICMP, established or closed (both sides sent) is SF and new (only the
 * client sent) is S0, as Zeek does for UDP. Anything else is OTH.
 */
export function connStateSql(columns: FlowStateColumns): string {
  const client = `TRY_CAST('0x' || ${columns.clientFlags} AS INTEGER)`;
  const server = `TRY_CAST('0x' || ${columns.serverFlags} AS INTEGER)`;
  const sent = (flags: string, bit: number) => `((${flags} & ${bit}) <> 0)`;
  const tcpFromFlags = `CASE
      WHEN ${sent(server, RST)} THEN CASE
        WHEN ${sent(client, SYN)} AND NOT ${sent(server, SYN)} THEN 'REJ'
        WHEN NOT ${sent(client, SYN)} AND ${sent(server, SYN)} THEN 'RSTRH'
        ELSE 'RSTR' END
      WHEN ${sent(client, RST)} THEN CASE
        WHEN ${server} <> 0 THEN 'RSTO'
        WHEN ${sent(client, SYN)} AND NOT ${sent(client, FIN)} THEN 'RSTOS0'
        ELSE 'OTH' END
      WHEN ${sent(client, FIN)} AND ${sent(server, FIN)} THEN 'SF'
      WHEN ${sent(client, FIN)} THEN CASE WHEN ${server} = 0 THEN 'SH' ELSE 'S2' END
      WHEN ${sent(server, FIN)} THEN CASE WHEN ${client} = 0 THEN 'SHR' ELSE 'S3' END
      WHEN ${sent(client, SYN)} AND ${server} = 0 THEN 'S0'
      WHEN ${sent(client, SYN)} AND ${sent(server, SYN)} THEN 'S1'
      ELSE 'OTH' END`;
  return `(CASE
    WHEN ${columns.protocol} = 'tcp' AND ${client} IS NOT NULL AND ${server} IS NOT NULL THEN ${tcpFromFlags}
    WHEN ${columns.protocol} = 'tcp' THEN CASE ${columns.flowState} WHEN 'closed' THEN 'SF' WHEN 'established' THEN 'S1' ELSE 'OTH' END
    ELSE CASE ${columns.flowState} WHEN 'new' THEN 'S0' WHEN 'established' THEN 'SF' WHEN 'closed' THEN 'SF' ELSE 'OTH' END
  END)`;
}
