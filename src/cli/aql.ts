/**
 * `beaconhunt aql`: runs a QRadar AQL search on local logs or a saved dataset, and prints the rows as a
 * table, JSON or CSV. `--explain` prints the DuckDB SQL the query compiles to.
 */
import { readFile } from 'node:fs/promises';

import { Command, Option } from 'commander';

import type { CompiledQuery } from '../aql/compile.js';
import { lintAql } from '../aql/lint.js';
import { parseAql } from '../aql/parser.js';
import { runAql, translateAql, type AqlRow } from '../aql/run.js';
import type { FlatValue } from '../detect/detector.js';
import { InputError, InterruptedError, UsageError } from '../errors.js';
import { renderMachine } from '../report/machine.js';
import { renderSummary } from '../report/summary.js';
import { renderTable } from '../report/table.js';
import { interruptedRunMessage } from '../scan.js';
import { startRun, stoppedBySignal } from './interrupt.js';
import { collect, parseTime } from './parse.js';

interface AqlFlags {
  file?: string;
  db?: string;
  now?: number;
  json?: boolean;
  csv?: boolean;
  explain?: boolean;
  localNet?: string[];
  strict?: boolean;
  format?: string;
  quiet?: boolean;
}

export function aqlCommand(): Command {
  return new Command('aql')
    .description('Run a QRadar AQL search (SELECT … FROM events) on logs or a saved dataset')
    .argument('[query]', 'the AQL query; with --file, the first log path instead')
    .argument('[paths...]', 'log files or folders, as for scan')
    .option('--file <file>', 'read the query from this file')
    .option('--db <file>', 'DuckDB file: import the paths into it, or read it when no paths are given')
    .option('--now <time>', "the query's NOW(): epoch ms or ISO 8601 (default: newest event)", parseTime)
    .addOption(new Option('--json', 'write the rows as one JSON array').conflicts(['csv']))
    .addOption(new Option('--csv', 'write the rows as CSV with a header row').conflicts(['json']))
    .option('--explain', 'print the DuckDB SQL and its parameters, and read no data')
    .option(
      '--local-net <cidr>',
      'local network for eventdirection, repeatable; replaces the defaults',
      collect,
    )
    .option('--strict', 'fail on the first skipped line or unusable file')
    .option('--format <id>', 'read every file as this format (see `beaconhunt formats`)')
    .option('-q, --quiet', 'do not write the summary to stderr')
    .addCommand(lintCommand())
    .action(async (query: string | undefined, paths: string[], flags: AqlFlags) =>
      runAqlCommand(query, paths, flags),
    );
}

async function runAqlCommand(first: string | undefined, rest: string[], flags: AqlFlags): Promise<void> {
  const { text, paths } = await queryAndPaths(first, rest, flags.file);

  if (flags.explain) {
    if (paths.length > 0 || flags.db !== undefined) {
      throw new UsageError(
        '--explain reads no data; drop the log paths and --db, and set the now with --now',
      );
    }
    const { compiled } = translateAql(text, flags.now ?? 0);
    process.stdout.write(renderExplain(compiled, flags.now));
    return;
  }

  const writesDataset = flags.db !== undefined && paths.length > 0;
  const run = startRun(() => undefined, writesDataset ? flags.db : undefined);
  let result;
  try {
    result = await runAql(text, {
      paths,
      strict: flags.strict ?? false,
      signal: run.signal,
      ...(flags.db !== undefined ? { db: flags.db } : {}),
      ...(flags.now !== undefined ? { now: flags.now } : {}),
      ...(flags.localNet !== undefined ? { localNetworks: flags.localNet } : {}),
      ...(flags.format !== undefined ? { format: flags.format } : {}),
    });
  } catch (error) {
    throw stoppedBySignal(run, error);
  } finally {
    run.end();
  }
  // A signal after the last statement did not stop the query, but the user still asked to stop.
  if (run.received !== null) {
    throw stoppedBySignal(run, new InterruptedError(interruptedRunMessage(flags.db, writesDataset)));
  }

  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result.rows, null, 2)}\n`);
  } else if (flags.csv) {
    process.stdout.write(renderMachine('csv', result.rows, flatRow, result.columns));
  } else if (result.rows.length === 0) {
    process.stdout.write('No rows.\n');
  } else {
    const columns = result.columns.map((header) => ({
      header,
      value: (row: AqlRow) => cellText(row[header]),
    }));
    process.stdout.write(`${renderTable(result.rows, columns)}\n`);
  }
  if (!flags.quiet) {
    process.stderr.write(renderSummary(result.ingest, result.events, result.elapsedMs));
    const now = result.now === null ? 'no events' : `now ${new Date(result.now).toISOString()}`;
    process.stderr.write(
      `beaconhunt: ${result.rows.length} row${result.rows.length === 1 ? '' : 's'} (${now})\n`,
    );
  }
}

/** `beaconhunt aql lint`: QRadar pitfalls in a query, each with its fix; it reads no data. */
function lintCommand(): Command {
  return new Command('lint')
    .description(
      'Warn about QRadar pitfalls in an AQL query, each with its fix (exit code 0 with or without warnings)',
    )
    .argument('[query]', 'the AQL query (or use --file)')
    .option('--file <file>', 'read the query from this file')
    .option('--json', 'write the warnings as one JSON array')
    .action(async (query: string | undefined, _flags: unknown, command: Command) => {
      // aql has --file and --json too, and commander gives an option to the first command that defines
      // it unless positional options are enabled on the root, so both levels are read.
      const flags = command.optsWithGlobals<{ file?: string; json?: boolean }>();
      const { text, paths } = await queryAndPaths(query, [], flags.file);
      if (paths.length > 0) throw new UsageError('lint takes the query only: drop the log paths');
      const warnings = lintAql(parseAql(text));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(warnings, null, 2)}\n`);
        return;
      }
      for (const warning of warnings) {
        process.stdout.write(`${warning.line}:${warning.column}  ${warning.rule}  ${warning.message}\n`);
      }
      if (warnings.length === 0) process.stdout.write('No warnings.\n');
    });
}

/** Takes the query from --file or from the first argument; the other arguments are log paths. */
async function queryAndPaths(
  first: string | undefined,
  rest: string[],
  file: string | undefined,
): Promise<{ text: string; paths: string[] }> {
  if (file === undefined) {
    if (first === undefined || first.trim() === '') {
      throw new UsageError('missing query: give it as the first argument, or use --file query.aql');
    }
    return { text: first, paths: rest };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(
      `${file}: cannot read the query file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      file,
    );
  }
  return { text, paths: first === undefined ? rest : [first, ...rest] };
}

/** Writes the SQL, then one comment line per parameter, so the output can be read and run by hand. */
export function renderExplain(compiled: CompiledQuery, now: number | undefined): string {
  const lines = [`${compiled.sql};`];
  compiled.params.forEach((value, index) => {
    const valueText =
      index + 1 === compiled.nowParameter && now === undefined
        ? "now: the newest event's starttime, or --now"
        : JSON.stringify(value);
    lines.push(`-- $${index + 1} = ${valueText}`);
  });
  lines.push(`-- output columns: ${compiled.columns.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function flatRow(row: AqlRow): Record<string, FlatValue> {
  const flat: Record<string, FlatValue> = {};
  for (const [key, value] of Object.entries(row)) {
    flat[key] =
      value === null || value === undefined
        ? null
        : typeof value === 'object'
          ? JSON.stringify(value)
          : (value as FlatValue);
  }
  return flat;
}
