/**
 * The YAML configuration file (`--config FILE`). Every key is validated; an error names the file, the
 * line and column of the offending value, and what is expected there.
 */
import { readFile } from 'node:fs/promises';

import { isMap, isNode, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { z } from 'zod';

import { ContextConfigSchema } from './detect/context/settings.js';
import { InputError } from './errors.js';
import { PatternError, parseCidr, parseDomainPattern, parseProcessPattern } from './tune/patterns.js';
import { PROFILE_IDS } from './tune/profiles.js';

/** Transport protocols an allowlist entry can name, as the events table writes them. */
const PROTOCOLS = ['tcp', 'udp', 'icmp', 'sctp'] as const;

/** A string that must parse with `parse`; the parse error's message becomes the config error. */
function patternString(parse: (text: string) => unknown) {
  return z
    .string()
    .min(1)
    .superRefine((value, context) => {
      try {
        parse(value);
      } catch (error) {
        if (!(error instanceof PatternError)) throw error;
        context.addIssue({ code: 'custom', message: error.message });
      }
    });
}

const cidrString = patternString(parseCidr);

/** Keys of one allowlist entry that select traffic; an entry needs at least one. */
const ALLOWLIST_SELECTORS = ['domain', 'cidr', 'port', 'process', 'source_group'] as const;

const AllowlistEntrySchema = z
  .object({
    /** A domain pattern with registered-domain semantics: example.com also matches a.b.example.com. */
    domain: patternString(parseDomainPattern).optional(),
    /** Destination addresses, IPv4 or IPv6. */
    cidr: cidrString.optional(),
    port: z.number().int().min(1).max(65535).optional(),
    protocol: z.enum(PROTOCOLS).optional(),
    /** A process image glob, such as 'C:\\Program Files\\ESET\\*'. */
    process: patternString(parseProcessPattern).optional(),
    /** The name of a group under source_groups; the entry then applies to those sources only. */
    source_group: z.string().min(1).optional(),
    /** Shown beside every finding the entry hides. */
    reason: z.string().min(1).optional(),
  })
  .strict()
  .refine((entry) => ALLOWLIST_SELECTORS.some((key) => entry[key] !== undefined), {
    message: `an entry needs at least one of ${ALLOWLIST_SELECTORS.join(', ')}`,
  });

const ProfilesSchema = z
  .object({
    /** Built-in profiles to turn off; every other profile is on. */
    disable: z.array(z.enum(PROFILE_IDS as [string, ...string[]])).optional(),
  })
  .strict();

const ConfigObject = z
  .object({
    /** Networks counted as local when a source does not record direction; replaces the defaults. */
    local_networks: z.array(cidrString).min(1).optional(),
    /** Event column to CSV header cell or JSON key, for logs no built-in format reads (like --map). */
    mapping: z.record(z.string(), z.string().min(1)).optional(),
    /** Notation of a mapped start time (like --time-format). */
    time_format: z.string().min(1).optional(),
    /** Named groups of source addresses, usable in allowlist entries. */
    source_groups: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a group name uses letters, digits, _, . and -'),
        z.array(cidrString).min(1),
      )
      .optional(),
    /** Findings to hide; the keys of one entry combine with AND. */
    allowlist: z.array(AllowlistEntrySchema).optional(),
    profiles: ProfilesSchema.optional(),
    /** Context of beacon findings: threat-intelligence lists and thresholds (docs/context.md). */
    context: ContextConfigSchema.optional(),
  })
  .strict();

const ConfigSchema = ConfigObject.superRefine((config, context) => {
  const groups = Object.keys(config.source_groups ?? {});
  (config.allowlist ?? []).forEach((entry, index) => {
    if (entry.source_group === undefined || groups.includes(entry.source_group)) return;
    context.addIssue({
      code: 'custom',
      path: ['allowlist', index, 'source_group'],
      message: `unknown source group "${entry.source_group}"; define it under source_groups${
        groups.length > 0 ? ` (defined: ${groups.join(', ')})` : ''
      }`,
    });
  });
});

/** Keys allowed in each map of the config, for the message about an unknown key. */
function knownKeys(mapPath: readonly (string | number)[]): string[] {
  if (mapPath[0] === 'allowlist') return Object.keys(AllowlistEntrySchema.shape);
  if (mapPath[0] === 'profiles') return Object.keys(ProfilesSchema.shape);
  if (mapPath[0] === 'context') return Object.keys(ContextConfigSchema.shape);
  return Object.keys(ConfigObject.shape);
}

export type BeaconhuntConfig = z.infer<typeof ConfigSchema>;

/** The source of a parsed config, so that tuning rules can name their line. */
export interface ConfigOrigin {
  path: string;
  /** 1-based line of each allowlist entry, in order. */
  allowlistLines: readonly number[];
}

export async function loadConfig(path: string): Promise<BeaconhuntConfig> {
  return (await loadConfigWithOrigin(path)).config;
}

export async function loadConfigWithOrigin(
  path: string,
): Promise<{ config: BeaconhuntConfig; origin: ConfigOrigin }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error}); check the path`,
      path,
    );
  }
  return parseConfigWithOrigin(text, path);
}

export function parseConfig(text: string, path: string): BeaconhuntConfig {
  return parseConfigWithOrigin(text, path).config;
}

/** Parses and validates a config, and records the line of each allowlist entry. */
export function parseConfigWithOrigin(
  text: string,
  path: string,
): { config: BeaconhuntConfig; origin: ConfigOrigin } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [yamlError] = document.errors;
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new InputError(`${path}:${line}:${col}: invalid YAML: ${yamlError.message.split('\n')[0]}`, path);
  }
  let value: unknown;
  try {
    value = document.toJS() ?? {};
  } catch (error) {
    // toJS throws, instead of listing the problem in document.errors, for an alias to a missing anchor
    // and for aliases that expand past the library's limit.
    const where = position(lineCounter, aliasOffset(document));
    throw new InputError(`${path}${where}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, path);
  }
  const parsed = ConfigSchema.safeParse(value);
  if (parsed.success) {
    const allowlistLines = (parsed.data.allowlist ?? []).map((_entry, index) => {
      const node = document.getIn(['allowlist', index], true);
      const offset = isNode(node) ? (node as Node).range?.[0] : undefined;
      return offset === undefined ? 0 : lineCounter.linePos(offset).line;
    });
    return { config: parsed.data, origin: { path, allowlistLines } };
  }

  const [issue] = parsed.error.issues;
  const issuePath = [...(issue?.path ?? [])] as (string | number)[];
  let offset: number | undefined;
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    // Zod reports an unknown key on the map that contains it, so look up the key's own position.
    offset = keyOffset(document, issuePath, issue.keys[0]);
    issuePath.push(issue.keys[0]);
  } else if (issue?.code === 'invalid_key' && issuePath.length > 0) {
    // A record key that fails its schema is reported on the key, not on its value.
    offset = keyOffset(document, issuePath.slice(0, -1), String(issuePath[issuePath.length - 1]));
  } else {
    const node = document.getIn(issuePath, true);
    offset = isNode(node) ? (node as Node).range?.[0] : undefined;
  }
  const key = issuePath.length > 0 ? issuePath.join('.') : '(top level)';
  const problem =
    issue?.code === 'unrecognized_keys'
      ? `unknown key; expected one of: ${knownKeys(issuePath.slice(0, -1)).join(', ')}`
      : issue?.code === 'invalid_key'
        ? `invalid name: ${issue.issues[0]?.message ?? issue.message}`
        : (issue?.message ?? 'invalid value');
  throw new InputError(`${path}${position(lineCounter, offset)}: ${key}: ${problem}`, path);
}

/** Formats a source offset as `:line:col`, or '' when the offset is unknown. */
function position(lineCounter: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return `:${line}:${col}`;
}

/** Finds the source offset of `key` in the map at `mapPath`, or undefined when the map or key is missing. */
function keyOffset(document: Document, mapPath: (string | number)[], key: string): number | undefined {
  const map = mapPath.length === 0 ? document.contents : document.getIn(mapPath, true);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return isNode(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** Finds the source offset of the first alias that names no anchor, else of the first alias. */
function aliasOffset(document: Document): number | undefined {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(document, {
    Alias(_key, alias) {
      first ??= alias.range?.[0];
      if (alias.resolve(document) === undefined) {
        unresolved = alias.range?.[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return unresolved ?? first;
}
