/**
 * The YAML configuration file (`--config FILE`). Every key is validated; an error names the file, the
 * line and column of the offending value, and what is expected there.
 */
import { readFile } from 'node:fs/promises';

import { isNode, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';

import { InputError } from './errors.js';

const ConfigSchema = z
  .object({
    /** Networks counted as local when a source does not record direction; replaces the defaults. */
    local_networks: z.array(z.string().min(1)).min(1).optional(),
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
  const value: unknown = document.toJS() ?? {};
  const parsed = ConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;

  const [issue] = parsed.error.issues;
  // An unknown key is reported on its parent; point at the key's own value instead.
  const issuePath = [...(issue?.path ?? [])];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) issuePath.push(issue.keys[0]);
  const node = document.getIn(issuePath as (string | number)[], true);
  const offset = isNode(node) ? (node as Node).range?.[0] : undefined;
  const where =
    offset === undefined ? '' : `:${lineCounter.linePos(offset).line}:${lineCounter.linePos(offset).col}`;
  const key = issuePath.length > 0 ? issuePath.join('.') : '(top level)';
  throw new InputError(`${path}${where}: ${key}: ${issue?.message ?? 'invalid value'}`, path);
}
