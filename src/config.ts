/**
 * The YAML configuration file (`--config FILE`). Every key is validated; an error names the file, the
 * line and column of the offending value, and what is expected there.
 */
import { readFile } from 'node:fs/promises';

import { isMap, isNode, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { z } from 'zod';

import { InputError } from './errors.js';

const ConfigSchema = z
  .object({
    /** Networks counted as local when a source does not record direction; replaces the defaults. */
    local_networks: z.array(z.string().min(1)).min(1).optional(),
    /** Event column to CSV header cell or JSON key, for logs no built-in format reads (like --map). */
    mapping: z.record(z.string(), z.string().min(1)).optional(),
    /** Notation of a mapped start time (like --time-format). */
    time_format: z.string().min(1).optional(),
  })
  .strict();

export type BeaconhuntConfig = z.infer<typeof ConfigSchema>;

export async function loadConfig(path: string): Promise<BeaconhuntConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error}); check the path`,
      path,
    );
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, path: string): BeaconhuntConfig {
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
  if (parsed.success) return parsed.data;

  const [issue] = parsed.error.issues;
  const issuePath = [...(issue?.path ?? [])] as (string | number)[];
  let offset: number | undefined;
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    // Zod reports an unknown key on the map that contains it, so look up the key's own position.
    offset = keyOffset(document, issuePath, issue.keys[0]);
    issuePath.push(issue.keys[0]);
  } else {
    const node = document.getIn(issuePath, true);
    offset = isNode(node) ? (node as Node).range?.[0] : undefined;
  }
  const key = issuePath.length > 0 ? issuePath.join('.') : '(top level)';
  const problem =
    issue?.code === 'unrecognized_keys'
      ? `unknown key; expected one of: ${Object.keys(ConfigSchema.shape).join(', ')}`
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
