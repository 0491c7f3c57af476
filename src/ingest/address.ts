/**
 * Strict syntax of IP address text and ports, for the QRadar and Sysmon readers. The address syntax is one
 * regular expression that both DuckDB's RE2 engine and JavaScript run. So the readers that check addresses
 * in SQL (QRadar JSON and CSV, Sysmon JSON) and the one that checks them in TypeScript (Sysmon XML) accept
 * exactly the same values.
 */

/** An IPv4 octet without leading zeros, which some parsers read as octal. */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
const LS32 = `(?:${H16}:${H16}|${IPV4})`;

/** `count` repetitions of "h16:", written out because a bare {0} repeat confuses some engines. */
function h16Colons(count: number): string {
  return count === 0 ? '' : `(?:${H16}:){${count}}`;
}

/** Up to `max` groups of h16 before a "::", or nothing. */
function optionalHead(max: number): string {
  return max < 0 ? '' : `(?:(?:${H16}:){0,${max}}${H16})?`;
}

/** The IPv6address rule of RFC 3986, section 3.2.2, one alternative per line of its grammar. */
const IPV6 = [
  `${h16Colons(6)}${LS32}`,
  `::${h16Colons(5)}${LS32}`,
  `${optionalHead(0)}::${h16Colons(4)}${LS32}`,
  `${optionalHead(1)}::${h16Colons(3)}${LS32}`,
  `${optionalHead(2)}::${h16Colons(2)}${LS32}`,
  `${optionalHead(3)}::${H16}:${LS32}`,
  `${optionalHead(4)}::${LS32}`,
  `${optionalHead(5)}::${H16}`,
  `${optionalHead(6)}::`,
]
  .map((alternative) => `(?:${alternative})`)
  .join('|');

/** A zone id as Windows and Zeek write it after a link-local address: fe80::1%12, fe80::1%eth0. */
const ZONE = '(?:%[0-9A-Za-z._~-]+)?';

/** Matches a whole IPv4 or IPv6 address, with an optional zone id on IPv6. */
export const IP_ADDRESS_PATTERN = `(?:${IPV4}|(?:${IPV6})${ZONE})`;

const IP_ADDRESS_REGEX = new RegExp(`^${IP_ADDRESS_PATTERN}$`);

export function isIpAddressText(text: string): boolean {
  return IP_ADDRESS_REGEX.test(text);
}

/** SQL that is true when `expression` is address text as `isIpAddressText` defines it, NULL when it is NULL. */
export function validIpAddressSql(expression: string): string {
  return `regexp_full_match(${expression}, '${IP_ADDRESS_PATTERN}')`;
}

/**
 * SQL for a port number as INTEGER, NULL when the text is absent, not plain decimal digits or above 65535.
 * The digit check comes first because DuckDB's casts also read '80.5', '1e3' and '0x50' as integers.
 */
export function portSql(expression: string): string {
  const port = `TRY_CAST(${expression} AS INTEGER)`;
  return `(CASE WHEN regexp_full_match(${expression}, '[0-9]{1,5}') AND ${port} <= 65535 THEN ${port} END)`;
}

/** SQL that is true when `expression` contains text that is not a valid port. */
export function invalidPortSql(expression: string): string {
  return `(${expression} IS NOT NULL AND ${portSql(expression)} IS NULL)`;
}

/** An IPv6 address written as eight groups of one to four hex digits, with no "::" and no IPv4 part. */
const IPV6_FULL_FORM = '[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4}){7}';

/**
 * SQL for an address in the canonical text of RFC 5952 when it is an IPv6 address written in full, as
 * Suricata writes them (2001:0db8:0000:…:0001 becomes 2001:db8::1). Other text, IPv4 and IPv6 already
 * compressed, is returned unchanged. Text without a colon is passed over first, so IPv4 costs one test.
 */
export function canonicalIpSql(expression: string): string {
  // Lower-case and drop leading zeros: 2001:db8:0:0:0:0:0:1. Colons at both ends let the zero-run
  // patterns below match a run at the start or end of the address as they match one in the middle.
  const wrapped = `(':' || regexp_replace(lower(${expression}), '(^|:)0+([0-9a-f])', '\\1\\2', 'g') || ':')`;
  // RFC 5952 section 4.2: the longest run of two or more zero groups becomes "::", the first of equal runs.
  // regexp_replace without 'g' replaces the first match only.
  const runs = [8, 7, 6, 5, 4, 3, 2].map(
    (length) =>
      `WHEN regexp_matches(${wrapped}, ':(0:){${length}}') THEN regexp_replace(${wrapped}, ':(0:){${length}}', '::')`,
  );
  const compressed = `(CASE ${runs.join(' ')} ELSE ${wrapped} END)`;
  // Drop the added colons, except where they are part of a "::" at either end.
  const unwrapped = `regexp_replace(regexp_replace(${compressed}, '^:([^:])', '\\1'), '([^:]):$', '\\1')`;
  return `(CASE WHEN NOT contains(${expression}, ':') THEN ${expression}
                WHEN regexp_full_match(${expression}, '${IPV6_FULL_FORM}') THEN ${unwrapped}
                ELSE ${expression} END)`;
}
