/**
 * The `beaconhunt` command. A thin layer over the library: it parses flags, calls scan or
 * importIntoDatabase, and writes findings to stdout and the summary to stderr.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { loadConfig, loadConfigWithOrigin, type BeaconhuntConfig, type ConfigOrigin } from '../config.js';
import { loadIntelLists, type IntelLists } from '../detect/context/index.js';
import {
  parseMapping,
  parseTimeFormat,
  type FieldMapping,
  type TimeFormat,
} from '../ingest/generic/mapping.js';
import type { Detector } from '../detect/detector.js';
import { formatDuration, parseDuration } from '../detect/duration.js';
import { DEFAULT_DETECTOR_OPTIONS, DETECTOR_IDS, DETECTORS, type DetectorId } from '../detect/registry.js';
import {
  EXIT_INTERNAL,
  EXIT_OK,
  EXIT_USAGE_OR_INPUT,
  InputError,
  InterruptedError,
  UsageError,
} from '../errors.js';
import { renderHtmlReport } from '../report/html.js';
import { renderMachine, type MachineFormat } from '../report/machine.js';
import { renderExplanation } from '../report/explain.js';
import { buildReportDocument, toReportFinding } from '../report/report-document.js';
import { summarizeFinding, type FindingSummary } from '../report/finding-summary.js';
import { severityId, toOcsf } from '../report/ocsf.js';
import { toCef, toLeef } from '../report/siem-lines.js';
import {
  MAX_UDP_MESSAGE_BYTES,
  parseSyslogTarget,
  sendSyslog,
  syslogFrame,
  type SyslogTarget,
} from '../report/syslog.js';
import { renderSummary } from '../report/summary.js';
import { escapeControlCharacters, renderTable, tableWidth } from '../report/table.js';
import {
  importIntoDatabase,
  interruptedRunMessage,
  scan,
  type ScanOptions,
  type ScanResult,
} from '../scan.js';
import { importIntoClickHouse } from '../scan-clickhouse.js';
import { shardSetupSql } from '../store/clickhouse/schema.js';
import type { WorkingSetRows } from '../store/clickhouse/transfer.js';
import { MEMORY_LIMIT_ENV, parseMemoryLimit } from '../store/duckdb.js';
import { renderSuppressed, type SuppressedRow } from '../tune/index.js';
import { aqlCommand } from './aql.js';
import { evalCommand } from './eval.js';
import { listFormats, renderFormats } from './formats.js';
import { ruleCommand } from './rule.js';
import { simulateCommand } from './simulate.js';
import { tuneCommand } from './tune.js';
import {
  collect,
  parseFraction,
  parseInteger,
  parsePortList,
  parseRetention,
  parseTime,
  parseWindow,
} from './parse.js';
import type { RetentionResult } from '../ingest/import.js';
import { startRun, StoppedBySignalError, stoppedBySignal } from './interrupt.js';
import { countOf } from '../text/plural.js';
import { createProgress } from './progress.js';

/** Skipped threat-intelligence lines listed one by one before the rest are only counted. */
const LISTED_INTEL_PROBLEMS = 5;

/**
 * A --now below this (1973-03-03 in epoch ms) is more likely epoch seconds given by mistake. It is still
 * accepted, because some captures (Stratosphere's) have times relative to their start.
 */
const EPOCH_SECONDS_LOOKALIKE = 1e11;

/** Help for --engine. */
const ENGINE_HELP =
  'ClickHouse dataset instead of memory or --db: clickhouse://HOST:PORT/DATABASE (HTTP port), with ' +
  '?cluster=NAME for a sharded cluster (see docs/scaling.md)';

/**
 * Help for --retention. The analysis time defaults to the newest event rather than the clock, because
 * logs are often analysed long after they were written, and the clock would then delete all of them.
 */
const RETENTION_HELP =
  'with --db: after the import, delete events and DNS queries that started more than this long before ' +
  'the analysis time (--now, default: the newest event in the dataset, not the clock, so that old logs ' +
  'can be analysed offline), such as 14d, 36h, 90m or 2w';

/** Help for --memory-limit, which scan and import share. */
const MEMORY_LIMIT_HELP =
  `memory DuckDB may use before it spills table data to a temporary folder, such as 1.5GB or 800MiB ` +
  `(at least 640MiB; default: ${MEMORY_LIMIT_ENV} when set, else 80 % of RAM up to 750MB)`;

/** Output flags that explain rejects: it prints one finding, as text or with --json. */
const EXPLAIN_REJECTED_OUTPUTS = ['ndjson', 'csv', 'ocsf', 'cef', 'leef', 'syslog', 'html'] as const;

/** Findings shown in the terminal table unless --top sets another count; machine formats get every finding. */
const DEFAULT_TABLE_ROWS = 25;
/**
 * Findings in the HTML report unless --top sets another count, each with up to MAX_PLOTTED_POINTS points
 * per chart: a page of a few megabytes that a browser opens at once.
 */
const DEFAULT_HTML_FINDINGS = 100;

const EXIT_CODES_HELP = `
Exit codes:
  0    the command ran (with or without findings)
  1    bad usage or unreadable input: a wrong flag, a missing or unreadable file, an empty,
       binary or unrecognised file named on the command line, a dataset that cannot be opened,
       or any skipped line or unusable file under --strict
  2    internal error: a bug in beaconhunt; please report it with the message
  130  interrupted by Ctrl-C (SIGINT): an unfinished import is undone, so the dataset is as it was
       (with --engine, rows already sent to ClickHouse stay)
  143  stopped by SIGTERM, with the same undo as 130`;

interface ScanFlags {
  detector: DetectorId;
  html?: string;
  explain?: number;
  ocsf?: boolean;
  cef?: boolean;
  leef?: boolean;
  syslog?: SyslogTarget;
  db?: string;
  engine?: string;
  retention?: number;
  json?: boolean;
  ndjson?: boolean;
  csv?: boolean;
  now?: number;
  window?: number;
  localNet?: string[];
  config?: string;
  strict?: boolean;
  format?: string;
  map?: string[];
  timeFormat?: string;
  top?: number;
  minScore?: number;
  minConnections?: number;
  includeMulticast?: boolean;
  ports?: number[];
  minCount?: number;
  minInterval?: number;
  maxInterval?: number;
  minSubdomains?: number;
  minDuration?: number;
  showSuppressed?: boolean;
  utcOffset?: number;
  tuning: boolean;
  intel?: string[];
  quiet?: boolean;
  progress: boolean;
  memoryLimit?: string;
}

interface ImportFlags {
  db?: string;
  engine?: string;
  now?: number;
  retention?: number;
  format?: string;
  map?: string[];
  timeFormat?: string;
  localNet?: string[];
  config?: string;
  strict?: boolean;
  quiet?: boolean;
  progress: boolean;
  memoryLimit?: string;
}

/** Reads the version from the package.json that ships beside dist/, wherever the package is installed. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export function buildProgram(): Command {
  const program = new Command('beaconhunt')
    .description('Find command-and-control beaconing (MITRE ATT&CK T1071) in network logs.')
    .version(packageVersion())
    .configureOutput({ outputError: (text, write) => write(`beaconhunt: ${text}`) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  addScanOptions(
    program
      .command('scan')
      .description('Read logs (or a saved dataset) and rank beacon-like connection series')
      .argument(
        '[paths...]',
        'log files or folders (walked recursively), - for standard input; .gz, .bz2, .zst and .zip are opened',
      ),
  )
    .option(
      '--explain <rank>',
      'print everything behind the finding ranked <rank> instead of the table (as `beaconhunt explain`)',
      parseInteger('--explain', 1),
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (paths: string[], flags: ScanFlags) => runScan(paths, flags));

  hideOutputsOfExplain(
    addScanOptions(
      program
        .command('explain')
        .description(
          'Scan, then print everything behind one finding: its gaps as a text histogram, each part of the score, the context and the tuning checks that ran',
        )
        .argument(
          '<rank>',
          'rank of the finding, as the scan table numbers it (hidden findings follow the shown ones)',
          parseInteger('<rank>', 1),
        )
        .argument('[paths...]', 'log files or folders, as for scan; none with --db'),
    ),
  )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (rank: number, paths: string[], flags: ScanFlags) =>
      runScan(paths, { ...flags, explain: rank }),
    );

  addFormatOptions(
    program
      .command('import')
      .description('Import logs into a DuckDB file or a ClickHouse dataset for later scans')
      .argument('<paths...>', 'log files or folders')
      .option('--db <file>', 'DuckDB file to create or add to')
      .addOption(new Option('--engine <url>', ENGINE_HELP).conflicts('db'))
      .option('--retention <duration>', RETENTION_HELP, parseRetention)
      .option(
        '--now <time>',
        'analysis time that --retention counts back from: epoch ms or ISO 8601 (default: newest event)',
        parseTime,
      )
      .option('--local-net <cidr>', 'local network, repeatable; replaces the defaults', collect)
      .option('--config <file>', 'YAML configuration file: local networks, allowlist, profiles, context')
      .option('--strict', 'fail on the first skipped line or unusable file'),
  )
    .option('--memory-limit <size>', MEMORY_LIMIT_HELP)
    .option('-q, --quiet', 'do not write the summary to stderr')
    .option('--no-progress', 'do not draw a progress bar on stderr')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (paths: string[], flags: ImportFlags) => runImport(paths, flags));

  program
    .command('formats')
    .description('List the input formats, how each is recognised, and an example record')
    .option('--json', 'write the list as JSON')
    .action((flags: { json?: boolean }) => {
      const listings = listFormats();
      process.stdout.write(flags.json ? `${JSON.stringify(listings, null, 2)}\n` : renderFormats(listings));
    });

  program
    .command('shard-ddl')
    .description(
      'Print the statements that prepare one shard of a ClickHouse cluster for --engine ...?cluster=NAME',
    )
    .argument('<database>', 'database name, the same on every shard and in the --engine URL')
    .action((database: string) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
        throw new UsageError(`${database}: a database name is letters, digits and underscores`);
      }
      process.stdout.write(`${shardSetupSql(database).join(';\n\n')};\n`);
    });

  // The other commands live in their own modules; copyInheritedSettings gives them the program's error
  // prefix and help-after-error line.
  const commands = [tuneCommand(), simulateCommand(), evalCommand(), aqlCommand(), ruleCommand()];
  for (const command of commands) {
    program.addCommand(command.copyInheritedSettings(program));
  }

  return program;
}

/** Reads --map and --time-format, or the config file's mapping and time_format when the flags are absent. */
async function resolveMapping(flags: {
  map?: string[];
  timeFormat?: string;
  config?: string;
}): Promise<{ mapping?: FieldMapping; timeFormat?: TimeFormat }> {
  const config = flags.config ? await loadConfig(flags.config) : {};
  const pairs =
    flags.map ?? Object.entries(config.mapping ?? {}).map(([column, field]) => `${column}=${field}`);
  const timeFormat = flags.timeFormat ?? config.time_format;
  return {
    ...(pairs.length > 0 ? { mapping: parseMapping(pairs) } : {}),
    ...(timeFormat !== undefined ? { timeFormat: parseTimeFormat(timeFormat) } : {}),
  };
}

async function resolveLocalNetworks(flags: {
  localNet?: string[];
  config?: string;
}): Promise<string[] | undefined> {
  if (flags.localNet && flags.localNet.length > 0) return flags.localNet;
  if (flags.config) return (await loadConfig(flags.config)).local_networks;
  return undefined;
}

/**
 * Hides from `explain --help` the outputs that explain rejects, and --top, which does not change one
 * finding. They stay parsed, so that using a rejected one gives explain's own message.
 */
function hideOutputsOfExplain(command: Command): Command {
  const hidden = new Set([...EXPLAIN_REJECTED_OUTPUTS.map((name) => `--${name}`), '--top']);
  for (const option of command.options) {
    if (option.long !== undefined && hidden.has(option.long)) option.hideHelp();
  }
  return command;
}

/** Adds the options that choose how files are read: a forced format, or a mapping for unknown logs. */
function addFormatOptions(command: Command): Command {
  return command
    .option(
      '--format <id>',
      'read every file as this format instead of detecting it (see `beaconhunt formats`)',
    )
    .option(
      '--map <pairs>',
      'read logs no built-in format knows: column=field pairs, such as starttime=ts,sourceip=src,destinationip=dst (repeatable)',
      collect,
    )
    .option(
      '--time-format <format>',
      'how a mapped start time is written: auto, epoch-s, epoch-ms, epoch-us, iso or a strptime pattern',
    );
}

/** Adds the options that scan and explain share: input, detector, window, tuning and output. */
function addScanOptions(command: Command): Command {
  return addFormatOptions(
    command
      .addOption(
        new Option('-d, --detector <id>', 'detector to run').choices([...DETECTOR_IDS]).default('beacon'),
      )
      .option(
        '--db <file>',
        'DuckDB file: import the given paths into it, or, with no paths, open it read-only and scan it as saved',
      )
      .addOption(new Option('--engine <url>', ENGINE_HELP).conflicts('db'))
      .option('--retention <duration>', RETENTION_HELP, parseRetention)
      .addOption(outputOption('--json', 'write findings as one JSON array'))
      .addOption(outputOption('--ndjson', 'write one JSON finding per line'))
      .addOption(outputOption('--csv', 'write findings as CSV with a header row'))
      .addOption(outputOption('--ocsf', 'write one OCSF Detection Finding (class 2004) per line'))
      .addOption(outputOption('--cef', 'write one ArcSight CEF event per finding'))
      .addOption(outputOption('--leef', 'write one QRadar LEEF 2.0 event per finding'))
      .option(
        '--syslog <url>',
        'send the findings to a syslog listener, udp://HOST:PORT or tcp://HOST:PORT, as CEF (or --leef, --ocsf)',
        parseSyslogTarget,
      )
      .option(
        '--html <file>',
        `also write a self-contained HTML report with charts of each finding (first ${DEFAULT_HTML_FINDINGS} unless --top; - for stdout)`,
      )
      .option(
        '--now <time>',
        'end of the analysis window: epoch ms or ISO 8601 (default: newest event)',
        parseTime,
      )
      .option(
        '--window <duration>',
        'window length ending at --now, such as 24h or 7d, or "all" (default: 24h for qradar-t1071, all for the others)',
        parseWindow,
      )
      .option(
        '--local-net <cidr>',
        'local network, repeatable; replaces the defaults (RFC 1918, loopback, …)',
        collect,
      )
      .option('--config <file>', 'YAML configuration file: local networks, allowlist, profiles, context')
      .option('--strict', 'fail on the first skipped line or unusable file instead of counting it'),
  )
    .option(
      '--top <n>',
      `show only the first n findings (table default ${DEFAULT_TABLE_ROWS}, 0 for all)`,
      parseInteger('--top'),
    )
    .option(
      '--min-score <x>',
      'beacon: leave out findings scoring below x (0–1, default 0)',
      parseFraction('--min-score'),
    )
    .option(
      '--min-connections <n>',
      'beacon: distinct connection times a series needs to be scored (default 10)',
      parseInteger('--min-connections', 3),
    )
    .option('--include-multicast', 'beacon: also score multicast and broadcast destinations')
    .option(
      '--ports <list>',
      'qradar-t1071: destination ports (default 80,443,53,21,25,110,143,8080,8443,1883,5222)',
      parsePortList,
    )
    .option(
      '--min-count <n>',
      'qradar-t1071: report groups with more than n connections (default 10)',
      parseInteger('--min-count'),
    )
    .option(
      '--min-interval <ms>',
      'qradar-t1071: lowest mean gap in ms, inclusive (default 1000)',
      parseInteger('--min-interval'),
    )
    .option(
      '--max-interval <ms>',
      'qradar-t1071: highest mean gap in ms, inclusive (default 3600000)',
      parseInteger('--max-interval'),
    )
    .option(
      '--min-subdomains <n>',
      'dns-tunnel: distinct subdomains of one domain that flag it as tunnelling (default 100)',
      parseInteger('--min-subdomains', 1),
    )
    .option(
      '--min-duration <duration>',
      'long-connection: total or single connection time that reports a pair, such as 30m or 2h (default 1h)',
      parseMinDuration,
    )
    .option(
      '--utc-offset <offset>',
      'beacon: offset of local time from UTC for working hours, such as +02:00 or -05:00 (default +00:00)',
      parseUtcOffset,
    )
    .option(
      '--show-suppressed',
      'beacon: also list the findings that tuning hid, each with the rule that hid it and why',
    )
    .option('--no-tuning', 'beacon: apply no allowlist and no suppression profile (see docs/tuning.md)')
    .option(
      '--intel <file>',
      'beacon: threat-intelligence list of IPs, CIDRs and domains, one per line (repeatable)',
      collect,
    )
    .option('--memory-limit <size>', MEMORY_LIMIT_HELP)
    .option('-q, --quiet', 'do not write the summary to stderr')
    .option('--no-progress', 'do not draw a progress bar on stderr');
}

async function runScan(paths: string[], flags: ScanFlags): Promise<void> {
  rejectExplainOutputs(flags);
  rejectSecondStdoutOutput(flags);
  // A report that cannot be written fails before the scan, not after it.
  if (flags.html !== undefined && flags.html !== '-') checkWritableFile(flags.html);
  // Parsed here rather than by commander, so that a bad size is one line of error output.
  const memoryLimit = flags.memoryLimit === undefined ? undefined : parseMemoryLimit(flags.memoryLimit);
  const progress = createProgress(flags.progress && !flags.quiet);
  const writesDataset = flags.db !== undefined && (paths.length > 0 || flags.retention !== undefined);
  const run = startRun(progress.stop, writesDataset ? flags.db : undefined);
  let result;
  try {
    const localNetworks = await resolveLocalNetworks(flags);
    const { config, origin } = await loadScanConfig(flags);
    const intel = await loadScanIntel(flags, config);
    const options: ScanOptions = {
      paths,
      config,
      tuning: flags.tuning,
      ...(origin !== undefined ? { configOrigin: origin } : {}),
      ...(intel !== undefined ? { intel } : {}),
      detector: flags.detector,
      detectorOptions: detectorOptions(flags),
      strict: flags.strict ?? false,
      onProgress: progress.update,
      onStage: progress.stage,
      signal: run.signal,
      ...(flags.format !== undefined ? { format: flags.format } : {}),
      ...(await resolveMapping(flags)),
      ...(flags.db !== undefined ? { db: flags.db } : {}),
      ...(memoryLimit !== undefined ? { memoryLimit } : {}),
      ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
      ...(flags.now !== undefined ? { now: flags.now } : {}),
      ...(flags.retention !== undefined ? { retentionMs: flags.retention } : {}),
      ...(localNetworks !== undefined ? { localNetworks } : {}),
      ...(flags.html !== undefined ? { details: htmlDetails(flags) } : {}),
      ...(flags.explain !== undefined ? { details: (rank: number) => rank === flags.explain } : {}),
    };
    result = await scan(options);
  } catch (error) {
    throw stoppedBySignal(run, error);
  } finally {
    progress.stop();
    run.end();
  }
  // A signal that came after the last statement did not stop the scan, but the user still asked to stop.
  if (run.received !== null)
    throw stoppedBySignal(run, new InterruptedError(interruptedRunMessage(flags.db, writesDataset)));

  const detector = DETECTORS[flags.detector] as unknown as Detector<unknown, object>;
  if (flags.explain !== undefined) {
    writeExplanation(flags.explain, result, flags);
    return;
  }
  if (flags.html !== undefined) await writeHtmlReport(flags.html, result, flags);
  // A report written to stdout takes the place of the table.
  const stdoutTaken = flags.html === '-';
  const machine = machineFormat(flags);
  const findings = result.findings as object[];
  // Machine and SIEM outputs list the hidden findings after the shown ones, each with its suppressedBy
  // rule, and --top limits only the shown.
  const shown = flags.top ? findings.slice(0, flags.top) : findings;
  const hidden = flags.showSuppressed ? result.suppressed.map((entry) => entry.finding as object) : [];
  const listed = [...shown, ...hidden];
  const siem = siemFormat(flags);
  if (siem !== null) {
    const summaries = listed.map((finding, index) => summarizeFinding(flags.detector, finding, index));
    const lines = renderSiemLines(siem, summaries, listed, detector);
    if (flags.syslog !== undefined) {
      const now = new Date();
      const frames = lines.map((line, index) =>
        syslogFrame(line, syslogSeverity(summaries[index] as FindingSummary), siem, now),
      );
      const cut = await sendSyslog(flags.syslog, frames);
      if (!flags.quiet) {
        process.stderr.write(
          `beaconhunt: sent ${countOf(frames.length, 'finding')} as ${siem.toUpperCase()} to ` +
            `${flags.syslog.transport}://${flags.syslog.host}:${flags.syslog.port}` +
            `${cut > 0 ? `; ${cut} cut to ${MAX_UDP_MESSAGE_BYTES} bytes` : ''}\n`,
        );
      }
    } else {
      process.stdout.write(lines.map((line) => `${line}\n`).join(''));
    }
  }
  // SIEM lines on stdout replace the other outputs; sent to syslog, they leave stdout to the table.
  const siemOnStdout = siem !== null && flags.syslog === undefined;
  if (machine !== null && !siemOnStdout) {
    process.stdout.write(renderMachine(machine, listed, detector.flatten, detector.csvColumns));
  } else if (!siemOnStdout && !stdoutTaken) {
    const rows = flags.top === 0 ? findings.length : (flags.top ?? DEFAULT_TABLE_ROWS);
    if (findings.length === 0) {
      process.stdout.write(`No findings from ${flags.detector}.\n`);
    } else {
      process.stdout.write(`${renderTable(findings.slice(0, rows), detector.tableColumns)}\n`);
      if (findings.length > rows) {
        const more = findings.length - rows;
        process.stdout.write(
          `${more} more finding${more === 1 ? '' : 's'}; use --top 0 to show all, or --json\n`,
        );
      }
    }
    if (flags.showSuppressed)
      process.stdout.write(`\n${renderSuppressed(suppressedRows(result.suppressed), tableWidth())}`);
  }
  if (!flags.quiet) {
    process.stderr.write(renderSummary(result.ingest, result.events, result.elapsedMs));
    if (result.retention !== null && flags.retention !== undefined) {
      process.stderr.write(retentionMessage(result.retention, flags.retention));
    }
    if ('workingSet' in result && result.workingSet !== null) {
      process.stderr.write(workingSetMessage(result.workingSet as WorkingSetRows, result.events));
    }
    if (flags.now !== undefined && flags.now < EPOCH_SECONDS_LOOKALIKE) {
      process.stderr.write(
        `beaconhunt: --now ${flags.now} is read as epoch milliseconds (${new Date(flags.now).toISOString()}); for epoch seconds multiply by 1000\n`,
      );
    }
    if (result.suppressed.length > 0 && !flags.showSuppressed) {
      process.stderr.write(
        result.suppressed.length === 1
          ? 'beaconhunt: tuning hid 1 finding; --show-suppressed lists it with the rule that hid it\n'
          : `beaconhunt: tuning hid ${result.suppressed.length} findings; --show-suppressed lists them with the rule that hid each\n`,
      );
    }
  }
}

/** Throws InputError unless `path` can be created or replaced as a file. */
function checkWritableFile(path: string): void {
  if (path.trim() === '') throw new UsageError('--html needs a file path, or - for stdout');
  const problem = writableFileProblem(path);
  if (problem === 'it is a folder') {
    throw new InputError(
      `${path}: cannot write the HTML report over a folder; give a file path such as ${join(path, 'report.html')}`,
      path,
    );
  }
  if (problem !== null) {
    throw new InputError(
      `${path}: cannot write the HTML report (${problem}); check the folder exists and is writable`,
      path,
    );
  }
}

/** Returns why `path` cannot be written as a file, or null when it can. */
function writableFileProblem(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return 'it is a folder';
    accessSync(path, constants.W_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return code ?? 'not writable';
  }
  try {
    const folder = dirname(resolvePath(path));
    if (!statSync(folder).isDirectory()) return 'its folder is a file';
    accessSync(folder, constants.W_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'not writable';
  }
}

/** Rejects `--html -` beside another output that writes to stdout, which would mix the two. */
function rejectSecondStdoutOutput(flags: ScanFlags): void {
  if (flags.html !== '-') return;
  const other = machineFormat(flags) ?? (flags.syslog === undefined ? siemFormat(flags) : null);
  if (other !== null) {
    throw new UsageError(
      `--html - and --${other} would both write to stdout; write the report to a file with --html FILE`,
    );
  }
}

/** Rejects outputs that --explain replaces: it prints one finding, as text or with --json. */
function rejectExplainOutputs(flags: ScanFlags): void {
  if (flags.explain === undefined) return;
  const clash = EXPLAIN_REJECTED_OUTPUTS.find((name) => flags[name] !== undefined);
  if (clash !== undefined) {
    throw new UsageError(
      `explain prints one finding as text, or as JSON with --json; drop --${clash}, or run scan for that output`,
    );
  }
}

/** Writes everything behind the finding ranked `rank`: as text, or as JSON with --json. */
function writeExplanation(rank: number, result: ScanResult, flags: ScanFlags): void {
  const listed = [
    ...(result.findings as object[]),
    ...result.suppressed.map((entry) => entry.finding as object),
  ];
  const index = listed.findIndex(
    (finding, position) => summarizeFinding(flags.detector, finding, position).rank === rank,
  );
  if (index === -1) {
    const hidden = result.suppressed.length > 0 ? ` and ${result.suppressed.length} hidden by tuning` : '';
    throw new InputError(
      `no finding ranked ${rank}: ${flags.detector} found ${countOf(result.findings.length, 'finding')}${hidden}; run scan to see the ranks`,
    );
  }
  const entry = toReportFinding(result, listed[index] as object, index, {
    hidden: index >= result.findings.length,
    utcOffsetMinutes: flags.utcOffset ?? 0,
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    renderExplanation(entry, {
      total: listed.length,
      tuning: flags.tuning,
      width: tableWidth(),
      qradar: {
        minCount: flags.minCount ?? DEFAULT_DETECTOR_OPTIONS['qradar-t1071'].minCount,
        minIntervalMs: flags.minInterval ?? DEFAULT_DETECTOR_OPTIONS['qradar-t1071'].minIntervalMs,
        maxIntervalMs: flags.maxInterval ?? DEFAULT_DETECTOR_OPTIONS['qradar-t1071'].maxIntervalMs,
      },
    }),
  );
}

/** Returns the HTML report's findings: the first --top shown ones (100 by default) and as many hidden. */
function htmlDetails(flags: ScanFlags): (rank: number, hidden: boolean, position: number) => boolean {
  const top = htmlFindingCount(flags);
  return (_rank, _hidden, position) => position < top;
}

function htmlFindingCount(flags: ScanFlags): number {
  return flags.top === 0 ? Number.POSITIVE_INFINITY : (flags.top ?? DEFAULT_HTML_FINDINGS);
}

/** Writes the HTML report to `target`, or to stdout for `-`. */
async function writeHtmlReport(target: string, result: ScanResult, flags: ScanFlags): Promise<void> {
  const document = buildReportDocument(result, {
    version: packageVersion(),
    top: htmlFindingCount(flags),
    includeHidden: true,
    utcOffsetMinutes: flags.utcOffset ?? 0,
  });
  const html = renderHtmlReport(document);
  if (target === '-') {
    process.stdout.write(html);
    return;
  }
  try {
    await writeFile(target, html);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(
      `${target}: cannot write the HTML report (${reason}); check the folder exists and is writable`,
      target,
    );
  }
  if (!flags.quiet) {
    const count = document.findings.length;
    process.stderr.write(`beaconhunt: wrote ${countOf(count, 'finding')} to the HTML report ${target}\n`);
  }
}

/** Describes each hidden beacon finding in words for --show-suppressed. */
function suppressedRows(suppressed: ScanResult['suppressed']): SuppressedRow[] {
  return suppressed.map(({ finding, suppression }) => {
    const beacon = finding as {
      rank: number;
      sourceip: string;
      label: string;
      score: number;
      category: string;
    };
    const failed = beacon.category === 'blocked-attempts' ? ', failed attempts only' : '';
    // The label comes from the network (a server name) and the reason from a config file, so control
    // characters in either are escaped.
    return {
      finding: `#${beacon.rank} ${beacon.sourceip} → ${escapeControlCharacters(beacon.label)} (score ${beacon.score.toFixed(2)}${failed})`,
      suppression: {
        rule: escapeControlCharacters(suppression.rule),
        reason: escapeControlCharacters(suppression.reason),
        matched: escapeControlCharacters(suppression.matched),
      },
    };
  });
}

/** Reads --config with the line of each allowlist entry, or returns an empty config. */
async function loadScanConfig(
  flags: ScanFlags,
): Promise<{ config: BeaconhuntConfig; origin?: ConfigOrigin }> {
  if (flags.config === undefined) return { config: {} };
  return loadConfigWithOrigin(flags.config);
}

/**
 * Loads the threat-intelligence lists named by --intel and the config's context.intel_lists. A line that
 * is neither an address, a network nor a domain is reported with its file and line, and fails the run
 * under --strict.
 */
async function loadScanIntel(flags: ScanFlags, config: BeaconhuntConfig): Promise<IntelLists | undefined> {
  // Lists named in the config file are relative to that file, as a user writing it expects.
  const base = flags.config === undefined ? '.' : dirname(flags.config);
  const fromConfig = (config.context?.intel_lists ?? []).map((file) => resolvePath(base, file));
  const files = [...fromConfig, ...(flags.intel ?? [])];
  if (files.length === 0) return undefined;
  const lists = await loadIntelLists(files);
  const [first] = lists.problems;
  if (first !== undefined) {
    const where = `${first.file}:${first.line}`;
    if (flags.strict)
      throw new InputError(`${where}: ${first.reason}; fix the line or drop --strict`, first.file);
    if (!flags.quiet) {
      const count = lists.problems.length;
      const samples = lists.problems
        .slice(0, LISTED_INTEL_PROBLEMS)
        .map((problem) => `  ${problem.file}:${problem.line}: ${problem.reason}`);
      const more = count > LISTED_INTEL_PROBLEMS ? [`  … and ${count - LISTED_INTEL_PROBLEMS} more`] : [];
      process.stderr.write(
        `${[`beaconhunt: ${count === 1 ? '1 intel line' : `${count} intel lines`} skipped:`, ...samples, ...more].join('\n')}\n`,
      );
    }
  }
  return lists;
}

function machineFormat(flags: ScanFlags): MachineFormat | null {
  if (flags.json) return 'json';
  if (flags.ndjson) return 'ndjson';
  if (flags.csv) return 'csv';
  return null;
}

/** Flags that only one detector reads, by the detector. */
const DETECTOR_FLAGS = {
  beacon: {
    minScore: '--min-score',
    minConnections: '--min-connections',
    includeMulticast: '--include-multicast',
    showSuppressed: '--show-suppressed',
    intel: '--intel',
    utcOffset: '--utc-offset',
  },
  'qradar-t1071': {
    ports: '--ports',
    minCount: '--min-count',
    minInterval: '--min-interval',
    maxInterval: '--max-interval',
  },
  'dns-tunnel': {
    minSubdomains: '--min-subdomains',
  },
  'long-connection': {
    minDuration: '--min-duration',
  },
} as const;

/** Parses --utc-offset: ±HH:MM, from −14:00 to +14:00 (the extremes of civil time zones), in minutes. */
function parseUtcOffset(text: string): number {
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  const hours = Number(match?.[2]);
  const minutes = Number(match?.[3]);
  if (match === null || minutes >= 60 || hours * 60 + minutes > 14 * 60) {
    throw new InvalidArgumentError(
      `--utc-offset takes ±HH:MM from -14:00 to +14:00, such as +02:00; got "${text}"`,
    );
  }
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Parses --min-duration with the same units as --window; zero would report every connection. */
function parseMinDuration(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  if (ms === 0) throw new InvalidArgumentError(`--min-duration must be longer than zero, got "${text}"`);
  return ms;
}

/** Refuses a flag of the other detector, which would otherwise be ignored without a word. */
function rejectOtherDetectorFlags(flags: ScanFlags): void {
  // --no-tuning sets tuning to false; commander gives true when the flag is absent.
  if (flags.detector !== 'beacon' && !flags.tuning) {
    throw new UsageError(
      `--no-tuning applies to --detector beacon only; ${flags.detector} applies no tuning, so drop --no-tuning`,
    );
  }
  for (const [detector, names] of Object.entries(DETECTOR_FLAGS)) {
    if (detector === flags.detector) continue;
    for (const [key, flag] of Object.entries(names)) {
      if (flags[key as keyof ScanFlags] === undefined) continue;
      throw new UsageError(
        `${flag} applies to --detector ${detector} only; add --detector ${detector} or drop ${flag}`,
      );
    }
  }
}

function detectorOptions(flags: ScanFlags): ScanOptions['detectorOptions'] {
  rejectOtherDetectorFlags(flags);
  if (flags.detector === 'beacon') {
    return {
      ...(flags.window !== undefined ? { windowMs: flags.window } : {}),
      ...(flags.minScore !== undefined ? { minScore: flags.minScore } : {}),
      ...(flags.minConnections !== undefined ? { minConnections: flags.minConnections } : {}),
      ...(flags.includeMulticast ? { skipMulticast: false } : {}),
      ...(flags.utcOffset !== undefined ? { utcOffsetMinutes: flags.utcOffset } : {}),
    };
  }
  if (flags.detector === 'dns-tunnel') {
    return {
      ...(flags.window !== undefined ? { windowMs: flags.window } : {}),
      ...(flags.minSubdomains !== undefined ? { minSubdomains: flags.minSubdomains } : {}),
    };
  }
  if (flags.detector === 'long-connection') {
    return {
      ...(flags.window !== undefined ? { windowMs: flags.window } : {}),
      ...(flags.minDuration !== undefined ? { minDurationMs: flags.minDuration } : {}),
    };
  }
  if (flags.window !== undefined && !Number.isFinite(flags.window)) {
    throw new UsageError('qradar-t1071 needs a finite --window such as 24h; "all" applies to beacon only');
  }
  const defaults = DEFAULT_DETECTOR_OPTIONS['qradar-t1071'];
  const minInterval = flags.minInterval ?? defaults.minIntervalMs;
  const maxInterval = flags.maxInterval ?? defaults.maxIntervalMs;
  if (minInterval > maxInterval) {
    throw new UsageError(
      `--min-interval ${minInterval} is above --max-interval ${maxInterval}; make the minimum the smaller value`,
    );
  }
  return {
    ...(flags.window !== undefined ? { windowMs: flags.window } : {}),
    ...(flags.ports !== undefined ? { ports: flags.ports } : {}),
    ...(flags.minCount !== undefined ? { minCount: flags.minCount } : {}),
    ...(flags.minInterval !== undefined ? { minIntervalMs: flags.minInterval } : {}),
    ...(flags.maxInterval !== undefined ? { maxIntervalMs: flags.maxInterval } : {}),
  };
}

async function runImport(paths: string[], flags: ImportFlags): Promise<void> {
  const memoryLimit = flags.memoryLimit === undefined ? undefined : parseMemoryLimit(flags.memoryLimit);
  if (flags.db === undefined && flags.engine === undefined) {
    throw new UsageError(
      'import needs a dataset: give --db FILE or --engine clickhouse://HOST:PORT/DATABASE',
    );
  }
  const target = flags.db ?? flags.engine ?? '';
  const progress = createProgress(flags.progress && !flags.quiet);
  const run = startRun(progress.stop, flags.db);
  let result;
  try {
    const localNetworks = await resolveLocalNetworks(flags);
    const options = {
      strict: flags.strict ?? false,
      onProgress: progress.update,
      onStage: progress.stage,
      signal: run.signal,
      ...(flags.format !== undefined ? { format: flags.format } : {}),
      ...(await resolveMapping(flags)),
      ...(localNetworks !== undefined ? { localNetworks } : {}),
      ...(flags.now !== undefined ? { now: flags.now } : {}),
      ...(flags.retention !== undefined ? { retentionMs: flags.retention } : {}),
      ...(memoryLimit !== undefined ? { memoryLimit } : {}),
    };
    result =
      flags.engine !== undefined
        ? await importIntoClickHouse(flags.engine, paths, options)
        : { ...(await importIntoDatabase(target, paths, options)), alreadyThere: [] };
  } catch (error) {
    throw stoppedBySignal(run, error);
  } finally {
    progress.stop();
    run.end();
  }
  if (run.received !== null)
    throw stoppedBySignal(run, new InterruptedError(interruptedRunMessage(flags.db, true)));
  if (!flags.quiet) {
    process.stderr.write(renderSummary(result.ingest, result.events, result.elapsedMs));
    if (result.retention !== null && flags.retention !== undefined) {
      process.stderr.write(retentionMessage(result.retention, flags.retention));
    }
    for (const path of result.alreadyThere) {
      process.stderr.write(`beaconhunt: ${path}: same content is already in ${target}; not sent again\n`);
    }
    process.stderr.write(`beaconhunt: ${countOf(result.events, 'event')} now in ${target}\n`);
  }
}

type SiemFormat = 'ocsf' | 'cef' | 'leef';

/** Returns the SIEM format asked for; --syslog alone sends CEF. */
function siemFormat(flags: ScanFlags): SiemFormat | null {
  if (flags.ocsf) return 'ocsf';
  if (flags.cef) return 'cef';
  if (flags.leef) return 'leef';
  return flags.syslog !== undefined ? 'cef' : null;
}

/** Renders findings, with their summaries, as lines of a SIEM format without line breaks. */
function renderSiemLines(
  format: SiemFormat,
  summaries: readonly FindingSummary[],
  findings: readonly object[],
  detector: Detector<unknown, object>,
): string[] {
  const version = packageVersion();
  return summaries.map((summary, index) => {
    if (format === 'cef') return toCef(summary, version);
    if (format === 'leef') return toLeef(summary, version);
    return JSON.stringify(toOcsf(summary, detector.flatten(findings[index] as object), version));
  });
}

/** Maps a finding onto a syslog severity: 4 warning for High, 5 notice for Medium, 6 informational. */
function syslogSeverity(summary: FindingSummary): number {
  const severity = severityId(summary);
  if (severity >= 4) return 4;
  return severity === 3 ? 5 : 6;
}

/** Makes the output flags exclusive of each other. */
function outputOption(flags: string, description: string): Option {
  const names = ['json', 'ndjson', 'csv', 'ocsf', 'cef', 'leef'];
  const own = flags.replace(/^--/, '');
  return new Option(flags, description).conflicts(names.filter((name) => name !== own));
}

/** Describes the rows a ClickHouse scan read, as one stderr line. */
function workingSetMessage(rows: WorkingSetRows, events: number): string {
  const share = events > 0 ? ` (${((100 * rows.events) / events).toFixed(1)} %)` : '';
  return (
    `beaconhunt: read ${rows.events.toLocaleString('en-US')} of ${events.toLocaleString('en-US')} events${share}, ` +
    `${rows.dnsQueries.toLocaleString('en-US')} DNS queries and ${rows.httpRequests.toLocaleString('en-US')} HTTP requests from ClickHouse\n`
  );
}

/** Describes what --retention deleted, as one stderr line. */
function retentionMessage(retention: RetentionResult, retentionMs: number): string {
  const duration = formatDuration(retentionMs);
  if (retention.now === null || retention.cutoff === null) {
    return `beaconhunt: --retention ${duration}: the dataset has no events or DNS queries; nothing dropped\n`;
  }
  const events = countOf(retention.events, 'event');
  const queries = countOf(retention.dnsQueries, 'DNS query', 'DNS queries');
  const now = new Date(retention.now).toISOString();
  // A cut before 1970 keeps every row, and a date that far back reads as a mistake in the message.
  const before =
    retention.cutoff < 0
      ? 'started before 1970'
      : `started before ${new Date(retention.cutoff).toISOString()}`;
  return (
    `beaconhunt: --retention ${duration}: dropped ${events} and ${queries} that ${before} ` +
    `(${duration} before the analysis time ${now})\n`
  );
}

/** Runs the CLI and returns its exit code. Errors are written to stderr as one line and mapped to a code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.commands.forEach((command) => command.exitOverride());
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message; help and version are successful exits.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE_OR_INPUT;
  }
  if (error instanceof StoppedBySignalError) {
    process.stderr.write(`beaconhunt: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof UsageError || error instanceof InputError) {
    process.stderr.write(`beaconhunt: error: ${error.message}\n`);
    return EXIT_USAGE_OR_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`beaconhunt: internal error: ${message.split('\n')[0]}\n`);
  if (process.env.BEACONHUNT_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('beaconhunt: set BEACONHUNT_DEBUG=1 for the stack trace, and please report it\n');
  return EXIT_INTERNAL;
}
