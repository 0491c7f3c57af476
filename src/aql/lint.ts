/**
 * `beaconhunt aql lint`: warnings about QRadar pitfalls in a query that runs but may not do what its
 * author expects in QRadar. Each warning names the place in the query and the fix. The checks read
 * the syntax tree only, so no data is needed.
 */
import ipaddr from 'ipaddr.js';

import type { Expression, Position, Query } from './ast.js';

export type LintRule =
  'no-time-clause' | 'like-on-address' | 'incomplete-private-ranges' | 'receipt-time' | 'count-coalesced';

export interface LintWarning {
  rule: LintRule;
  line: number;
  column: number;
  message: string;
}

/** Address fields, lower-cased, on which QRadar rejects LIKE and ILIKE. */
const ADDRESS_FIELDS = new Set(['sourceip', 'destinationip']);

/**
 * Networks that a query excluding private destinations should cover: RFC 1918, loopback, link-local,
 * carrier-grade NAT (RFC 6598), and the IPv6 loopback, unique-local and link-local ranges.
 */
const PRIVATE_NETWORKS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/** A test of an address field against a LIKE pattern or an INCIDR network, found anywhere in the query. */
interface AddressTest {
  field: string;
  matches: (address: string) => boolean;
}

/** Returns the warnings for a parsed query, in the order of the rules above, each rule at most once. */
export function lintAql(query: Query): LintWarning[] {
  const warnings: LintWarning[] = [];
  const warn = (rule: LintRule, position: Position, message: string): void => {
    warnings.push({ rule, line: position.line, column: position.column, message });
  };

  if (query.time === null) {
    warn(
      'no-time-clause',
      query.start,
      'no time clause: QRadar then searches only its default window of a few minutes, whatever WHERE ' +
        'says; add LAST 24 HOURS or START … STOP …',
    );
  }

  const nodes = allExpressions(query);
  const addressTests: AddressTest[] = [];
  let likeWarned = false;
  for (const node of nodes) {
    if (node.kind === 'like' && node.operand.kind === 'field' && node.pattern.kind === 'string') {
      const field = node.operand.name.toLowerCase();
      if (!ADDRESS_FIELDS.has(field)) continue;
      addressTests.push({ field, matches: likePredicate(node.pattern.value, node.operator === 'ILIKE') });
      if (!likeWarned) {
        likeWarned = true;
        warn(
          'like-on-address',
          node.start,
          `${node.operator} on the address field ${node.operand.name}: QRadar rejects it on IP fields; ` +
            `use INCIDR, such as INCIDR('10.0.0.0/8', ${node.operand.name})`,
        );
      }
    }
    if (node.kind === 'incidr' && node.network.kind === 'string' && node.address.kind === 'field') {
      const test = cidrPredicate(node.network.value);
      if (test !== null) addressTests.push({ field: node.address.name.toLowerCase(), matches: test });
    }
  }
  const missing = missingPrivateNetworks(addressTests);
  const firstTest = nodes.find((node) => node.kind === 'like' || node.kind === 'incidr');
  if (missing.length > 0 && firstTest !== undefined) {
    warn(
      'incomplete-private-ranges',
      firstTest.start,
      `the private-address tests leave out ${missing.join(', ')}; add an INCIDR test for each`,
    );
  }

  const receipt = nodes.find((node) => node.kind === 'field' && node.name.toLowerCase() === 'starttime');
  if (receipt !== undefined) {
    warn(
      'receipt-time',
      receipt.start,
      'starttime is when QRadar received the event, and log sources that forward in batches make it ' +
        'look periodic; use devicetime, when the event happened, for intervals',
    );
  }

  const countStar = nodes.find(
    (node) => node.kind === 'call' && node.name === 'COUNT' && node.args[0]?.kind === 'star',
  );
  if (countStar !== undefined) {
    warn(
      'count-coalesced',
      countStar.start,
      'COUNT(*) counts records, and QRadar coalesces repeated events into one record with eventcount ' +
        'above 1, so fast beacons are undercounted; use SUM(eventcount)',
    );
  }
  return warnings;
}

/**
 * Returns the private networks that some address tests touch but do not cover, for the field that the
 * tests cover most of. A network counts as covered when its first, middle and last addresses all match
 * a test. Queries that test no private network return an empty list.
 */
function missingPrivateNetworks(tests: readonly AddressTest[]): string[] {
  const fields = [...new Set(tests.map((test) => test.field))];
  let best: string[] | null = null;
  for (const field of fields) {
    const own = tests.filter((test) => test.field === field);
    const covered = PRIVATE_NETWORKS.filter((network) =>
      sampleAddresses(network).every((address) => own.some((test) => test.matches(address))),
    );
    if (covered.length === 0) continue;
    const missing = PRIVATE_NETWORKS.filter((network) => !covered.includes(network));
    if (best === null || missing.length < best.length) best = missing;
  }
  return best ?? [];
}

/** Returns the first, middle and last address of a network as text, in the form a log would show. */
function sampleAddresses(network: string): string[] {
  const [base, prefix] = ipaddr.parseCIDR(network);
  const bytes = base.toByteArray();
  const bits = bytes.length * 8;
  const withHostBits = (fill: (bit: number) => boolean): string => {
    const copy = [...bytes];
    for (let bit = prefix; bit < bits; bit += 1) {
      const mask = 0x80 >> (bit % 8);
      const index = Math.floor(bit / 8);
      copy[index] = fill(bit) ? (copy[index] as number) | mask : (copy[index] as number) & ~mask;
    }
    return ipaddr.fromByteArray(copy).toString();
  };
  return [withHostBits(() => false), withHostBits((bit) => bit === prefix), withHostBits(() => true)];
}

/** Translates a LIKE pattern into a predicate on text: % is any run of characters, _ one character. */
function likePredicate(pattern: string, caseInsensitive: boolean): (text: string) => boolean {
  const source = [...pattern]
    .map((character) => {
      if (character === '%') return '.*';
      if (character === '_') return '.';
      return character.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const regex = new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
  return (text) => regex.test(text);
}

function cidrPredicate(network: string): ((address: string) => boolean) | null {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    range = ipaddr.parseCIDR(network.trim());
  } catch {
    return null;
  }
  return (address) => {
    const parsed = ipaddr.parse(address);
    return parsed.kind() === range[0].kind() && parsed.match(range);
  };
}

/** Lists every expression node of the query, depth first. */
function allExpressions(query: Query): Expression[] {
  const roots: Expression[] = [
    ...(query.select ?? []).map((item) => item.expression),
    ...(query.where !== null ? [query.where] : []),
    ...query.groupBy,
    ...(query.having !== null ? [query.having] : []),
    ...query.orderBy.map((item) => item.expression),
  ];
  const nodes: Expression[] = [];
  const visit = (node: Expression): void => {
    nodes.push(node);
    for (const child of childrenOf(node)) visit(child);
  };
  roots.forEach(visit);
  return nodes;
}

function childrenOf(node: Expression): Expression[] {
  switch (node.kind) {
    case 'negate':
    case 'not':
    case 'isNull':
      return [node.operand];
    case 'arithmetic':
    case 'comparison':
    case 'logical':
      return [node.left, node.right];
    case 'between':
      return [node.operand, node.low, node.high];
    case 'in':
      return [node.operand, ...node.values];
    case 'like':
    case 'matches':
      return [node.operand, node.pattern];
    case 'incidr':
      return [node.network, node.address];
    case 'call':
      return [...node.args];
    case 'case':
      return [
        ...(node.operand !== null ? [node.operand] : []),
        ...node.branches.flatMap((branch) => [branch.when, branch.then]),
        ...(node.otherwise !== null ? [node.otherwise] : []),
      ];
    case 'if':
      return [node.condition, node.then, node.otherwise];
    default:
      return [];
  }
}
