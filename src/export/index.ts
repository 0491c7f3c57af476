/**
 * The export targets and their compilers. Each compiler turns the same ExportRule into one query or
 * rule file of its language.
 */
import { compile as compileAql } from './aql.js';
import { compile as compileClickhouse } from './clickhouse.js';
import { compile as compileDuckdb } from './duckdb.js';
import { compile as compileEsql } from './esql.js';
import { compileAsim, compileMde } from './kql.js';
import type { ExportRule } from './model.js';
import { compile as compileSigma } from './sigma.js';
import { compile as compileSpl } from './spl.js';

export interface ExportTarget {
  readonly id: string;
  /** File name extension of the output, without the dot. */
  readonly extension: string;
  readonly compile: (rule: ExportRule) => string;
}

export const EXPORT_TARGETS = [
  { id: 'aql', extension: 'aql', compile: compileAql },
  { id: 'spl', extension: 'spl', compile: compileSpl },
  { id: 'kql-asim', extension: 'kql', compile: compileAsim },
  { id: 'kql-mde', extension: 'kql', compile: compileMde },
  { id: 'esql', extension: 'esql', compile: compileEsql },
  { id: 'sigma', extension: 'yml', compile: compileSigma },
  { id: 'clickhouse', extension: 'sql', compile: compileClickhouse },
  { id: 'duckdb', extension: 'sql', compile: compileDuckdb },
] as const satisfies readonly ExportTarget[];

export type ExportTargetId = (typeof EXPORT_TARGETS)[number]['id'];

export const EXPORT_TARGET_IDS: readonly ExportTargetId[] = EXPORT_TARGETS.map((target) => target.id);

/** Names a target's output file under `--target all --out DIR`, such as `beaconhunt_t1071_beaconing.kql-asim.kql`. */
export function exportFileName(target: ExportTarget, rule: ExportRule): string {
  return `${rule.name}.${target.id}.${target.extension}`;
}

export function findTarget(id: string): ExportTarget | undefined {
  return EXPORT_TARGETS.find((target) => target.id === id);
}

export { buildRule, type BuildRuleOptions, type ExportRule } from './model.js';
