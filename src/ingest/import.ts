/**
 * The import stage: files in, normalised events out. Each file is sampled, matched to a format and
 * loaded; the outcome of every file and every skipped line goes into the report.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

import { InputError, UsageError } from '../errors.js';
import { LocalNetworks } from '../net/locality.js';
import type { DuckDbStore } from '../store/duckdb.js';
import {
  DNS_QUERIES_TABLE,
  DNS_RESPONSES_TABLE,
  EVENTS_TABLE,
  FILES_TABLE,
  REJECTS_TABLE,
} from '../store/schema.js';
import {
  assignDirections,
  dropDuplicateEvents,
  joinFlowProtocolLogs,
  mergeDnsResponses,
  nameEventsFromDns,
} from './finalize.js';
import { expandContainers, Workspace } from './containers.js';
import type { CompressionDamage } from './decompress.js';
import { collectInputFiles, fileSystemInputError, STANDARD_INPUT_PATHS, type InputFile } from './files.js';
import type { InputFormat, LoadContext, LoadResult } from './format.js';
import { rejectFileWithEveryLineSkipped } from './every-line-skipped.js';
import { detectFormat, formatById } from './formats.js';
import { genericCsvFormat, genericJsonLinesFormat } from './generic/formats.js';
import type { FieldMapping, TimeFormat } from './generic/mapping.js';
import { verifyGzip } from './gzip.js';
import { prepareLineRenumbering, ReaderSkippedLinesError, resetSkippedLines } from './lines.js';
import { IngestReport, type FileOutcome } from './report.js';
import { duckDbReadablePath } from './readable-path.js';
import { sniffFile, type FileSample } from './sniff.js';
import { WrongFormatError } from './wrong-format.js';

export interface ImportOptions {
  localNetworks?: LocalNetworks;
  /** Fail on the first skipped line or unusable file instead of counting it. */
  strict?: boolean;
  /** Field mapping for logs no built-in format reads (`--map`); see generic/mapping.ts. */
  mapping?: FieldMapping;
  /** Notation of a mapped start time (`--time-format`). */
  timeFormat?: TimeFormat;
  /** A format id that every file is read as, in place of detection from its content. */
  format?: string;
  /** Smallest uncompressed file that line-oriented readers parse in worker threads; tests lower it. */
  parallelMinBytes?: number;
  /** Called after each file and a few times a second while one loads, for progress display. */
  onProgress?: (progress: ImportProgress) => void;
  /** Called when the import moves on to a stage that has no progress of its own. */
  onStage?: (stage: string) => void;
}

export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  /** The file being loaded, or null between files. */
  currentFile: string | null;
  /** How far the current file's load has got, from 0 to 1, as estimated by the engine. */
  currentFraction: number;
}

/** The name under which standard input appears in summaries and as the events' sourcefile. */
const STANDARD_INPUT_NAME = '(standard input)';

/** Milliseconds between progress reports while one file loads. */
const PROGRESS_INTERVAL_MS = 250;

export async function importFiles(
  store: DuckDbStore,
  paths: readonly string[],
  options: ImportOptions = {},
): Promise<IngestReport> {
  const report = new IngestReport(options.strict ?? false);
  const localNetworks = options.localNetworks ?? new LocalNetworks();
  const workspace = new Workspace();
  try {
    const files = await collectWithStandardInput(paths, workspace);
    if (files.length === 0) {
      throw new InputError(
        `no files found in ${paths.join(', ')}; point beaconhunt at log files or folders of them`,
      );
    }
    return await importCollected(
      store,
      await expandContainers(files, workspace, store.signal),
      report,
      localNetworks,
      options,
    );
  } finally {
    await workspace.dispose();
  }
}

/** Collects the named files and folders; `-` (or /dev/stdin) reads standard input into the workspace. */
async function collectWithStandardInput(
  paths: readonly string[],
  workspace: Workspace,
): Promise<InputFile[]> {
  const named = paths.filter((path) => !STANDARD_INPUT_PATHS.has(path));
  const files = await collectInputFiles(named);
  if (named.length < paths.length) {
    if (process.stdin.isTTY) {
      throw new InputError(
        '-: standard input is a terminal; pipe the logs in (cat conn.log | beaconhunt scan -) or name the files',
        '-',
      );
    }
    const readPath = await workspace.newPath('stdin');
    await pipeline(process.stdin, createWriteStream(readPath));
    files.push({ path: STANDARD_INPUT_NAME, readPath, explicit: true });
  }
  return files;
}

async function importCollected(
  store: DuckDbStore,
  files: readonly InputFile[],
  report: IngestReport,
  localNetworks: LocalNetworks,
  options: ImportOptions,
): Promise<IngestReport> {
  // Each file loads in a transaction of its own, because a DuckDB error aborts the whole transaction
  // and DuckDB has no savepoints: one unreadable file in a folder must not undo the others. A failure
  // that stops the import (such as a skipped line under --strict) deletes what this run loaded, so a
  // saved dataset is left as it was.
  // NOTE: a file that was in the dataset before and is re-read because it grew is deleted by that undo,
  // with its earlier read.
  const loaded: string[] = [];
  try {
    await importEach(store, files, report, localNetworks, options, loaded);
    store.throwIfInterrupted();
    options.onStage?.('joining and deduplicating');
    await inTransaction(store, async () => {
      report.duplicatesDropped += await dropDuplicateEvents(store);
      await joinFlowProtocolLogs(store);
      await mergeDnsResponses(store);
      await nameEventsFromDns(store);
      await assignDirections(store, localNetworks);
    });
  } catch (error) {
    for (const path of loaded) await forgetFile(store, path);
    throw error;
  }
  return report;
}

/**
 * With a `--map`, a file that no built-in format claims is read as generic JSON lines when its first
 * line is a JSON object, and as generic CSV otherwise.
 */
function genericFormatFor(sample: FileSample, options: ImportOptions): InputFormat | null {
  if (options.mapping === undefined) return null;
  const first = sample.lines.find((line) => line.trim() !== '') ?? '';
  return first.trimStart().startsWith('{') ? genericJsonLinesFormat : genericCsvFormat;
}

function requireFormat(id: string): InputFormat {
  const format = formatById(id);
  if (format === undefined) {
    throw new UsageError(`unknown format "${id}"; run \`beaconhunt formats\` to list the format ids`);
  }
  return format;
}

/** Runs `work` in a transaction: committed when it succeeds, rolled back when it throws. */
async function inTransaction<T>(store: DuckDbStore, work: () => Promise<T>): Promise<T> {
  await store.run('BEGIN TRANSACTION');
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await store.run('ROLLBACK');
    throw error;
  }
  await store.run('COMMIT');
  return result;
}

/**
 * A file that could not be loaded. `recoverable` files were met inside a folder without --strict, so
 * the import lists them as ignored and goes on.
 */
class FileLoadError extends InputError {
  constructor(
    message: string,
    readonly path: string,
    readonly format: string,
    readonly recoverable: boolean,
  ) {
    super(message, path);
  }
}

async function importEach(
  store: DuckDbStore,
  files: readonly InputFile[],
  report: IngestReport,
  localNetworks: LocalNetworks,
  options: ImportOptions,
  loaded: string[],
): Promise<void> {
  const forced = options.format === undefined ? null : requireFormat(options.format);
  for (const [index, file] of files.entries()) {
    store.throwIfInterrupted();
    const emit = (fraction: number, current: string | null, done: number) =>
      options.onProgress?.({
        filesDone: done,
        filesTotal: files.length,
        currentFile: current,
        currentFraction: fraction,
      });
    // Skipped lines counted for a file that is then passed over are taken out of the summary again.
    const skippedMark = report.markSkipped();
    const timer = options.onProgress
      ? setInterval(() => emit(store.queryProgress() ?? 0, file.path, index), PROGRESS_INTERVAL_MS)
      : null;
    try {
      const outcome = await inTransaction(store, () =>
        importOne(store, file, report, localNetworks, options, forced),
      );
      if (outcome.status === 'loaded') loaded.push(file.path);
      report.addFile(outcome);
    } catch (error) {
      // An interrupted statement fails like an unreadable file, so an interrupt is checked first.
      store.throwIfInterrupted();
      if (!(error instanceof FileLoadError && error.recoverable)) throw error;
      report.restoreSkipped(skippedMark);
      report.addFile({
        path: file.path,
        format: error.format,
        status: 'ignored',
        events: 0,
        skipped: 0,
        message: error.message,
      });
    } finally {
      if (timer !== null) clearInterval(timer);
    }
    emit(0, null, index + 1);
  }
}

async function importOne(
  store: DuckDbStore,
  file: InputFile,
  report: IngestReport,
  localNetworks: LocalNetworks,
  options: ImportOptions,
  forced: InputFormat | null,
): Promise<FileOutcome> {
  const strict = options.strict ?? false;
  const failOrIgnore = (error: InputError): FileOutcome => {
    // A file the user named must be usable; files met while walking a folder (READMEs, images) are
    // listed and passed over, unless --strict.
    if (file.explicit || strict) throw error;
    return {
      path: file.path,
      format: 'unknown',
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: error.message,
    };
  };

  if (file.unreadable !== undefined) return failOrIgnore(file.unreadable);
  if (file.duplicate !== undefined) {
    return {
      path: file.path,
      format: 'unknown',
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: file.duplicate,
    };
  }

  let sample;
  try {
    // The sample is read from where the content is, and named as the user knows the file.
    sample = { ...(await sniffFile(file.readPath ?? file.path)), path: file.path };
  } catch (error) {
    if (error instanceof InputError) {
      // Name an unpacked file or standard input as the user knows it, not by its temporary path.
      const named = file.readPath ? error.message.replaceAll(file.readPath, file.path) : error.message;
      return failOrIgnore(new InputError(named, file.path));
    }
    // Permission denied, or the file was removed after the folder was listed.
    const inputError = await fileSystemInputError(file.path, error);
    if (inputError !== null) return failOrIgnore(inputError);
    throw error;
  }
  if (sample.text.trim() === '') {
    return failOrIgnore(
      new InputError(
        `${file.path}: no content after decompression; check that the export finished`,
        file.path,
      ),
    );
  }
  const format = forced ?? detectFormat(sample) ?? genericFormatFor(sample, options);
  if (format === null) {
    // With no complete line in the sample, the first line is longer than the sample.
    const firstLine = (sample.lines.find((line) => line.trim() !== '') ?? sample.text.trimStart()).slice(
      0,
      60,
    );
    return failOrIgnore(
      new InputError(
        `${file.path}: unknown format (first line ${JSON.stringify(firstLine)}); ` +
          'run `beaconhunt formats` to see the formats it reads',
        file.path,
      ),
    );
  }

  // NOTE: a file counts as already imported by path and size; a content hash would also catch a copy
  // under another name.
  const [previous] = await store.all<{ imports: number; sameSize: number }>(
    `SELECT count(*) AS imports, count(*) FILTER (WHERE bytes = ?) AS sameSize FROM ${FILES_TABLE} WHERE path = ?`,
    [sample.bytes, file.path],
  );
  if ((previous?.sameSize ?? 0) > 0) {
    return {
      path: file.path,
      format: format.id,
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: `${file.path}: already in this dataset (same path and size); not imported again`,
    };
  }

  // A file imported again (a log that grew since it was added to this dataset) is read from its first
  // line, so what the earlier read stored for the path is replaced rather than added to. The deletes scan
  // the whole events table, so they run only for such files.
  if ((previous?.imports ?? 0) > 0) await forgetFile(store, file.path);
  const source = file.readPath ?? file.path;
  // Damage in bzip2 and Zstandard data was found while unpacking. A gzip file is read through beside the load.
  const integrity =
    file.damage === undefined && sample.compression === 'gzip'
      ? verifyGzip(source)
      : Promise.resolve(file.damage ?? null);
  const readable = await duckDbReadablePath(source);
  sample.readPath = readable.path;
  let result;
  try {
    result = await loadFile(format, {
      store,
      sample,
      report,
      localNetworks,
      ...(options.mapping ? { mapping: options.mapping } : {}),
      ...(options.timeFormat ? { timeFormat: options.timeFormat } : {}),
      ...(options.parallelMinBytes !== undefined ? { parallelMinBytes: options.parallelMinBytes } : {}),
    });
    if (forced !== null) await rejectFileWithEveryLineSkipped(store, sample, format, result);
  } catch (error) {
    // The caller rolls back this file's transaction, which removes anything the load inserted.
    if (error instanceof InputError) {
      // Under --strict the cut-off last line of a truncated file can fail first, so name the truncation.
      const damage = await integrity;
      if (damage !== null) throw new InputError(damagedDataMessage(file.path, damage, null), file.path);
      // A file of another kind found inside a folder is listed and passed over, as one of unknown format is.
      if (error instanceof WrongFormatError && !file.explicit && !strict) {
        throw new FileLoadError(error.message, file.path, format.id, true);
      }
      throw error;
    }
    throw new FileLoadError(
      `${file.path}: could not be read as ${format.id}: ${firstLineOf(error)}`,
      file.path,
      format.id,
      !file.explicit && !strict,
    );
  } finally {
    await readable.dispose();
  }
  const damage = await integrity;
  const outcome: FileOutcome = { path: file.path, format: format.id, ...result };
  if (damage !== null) {
    // NOTE: the line cut by the damage is loaded when all its fields survived, possibly with the last one
    // cut short. With fewer fields it is counted as a skipped line.
    if (strict) throw new InputError(damagedDataMessage(file.path, damage, null), file.path);
    outcome.message = damagedDataMessage(file.path, damage, result.events);
  }
  if (result.status === 'loaded') {
    await store.run(`INSERT INTO ${FILES_TABLE} VALUES (?, ?, ?, ?, ?, ?)`, [
      file.path,
      format.id,
      sample.bytes,
      result.events,
      result.skipped,
      Date.now(),
    ]);
  }
  return outcome;
}

/**
 * Runs the format's load. When DuckDB's CSV reader skipped lines it could not read (invalid UTF-8, a line
 * over MAX_LINE_BYTES), the first load stops before it reports anything and the file is loaded again,
 * with line numbers that count the skipped lines and the skipped lines counted as rejects.
 */
async function loadFile(format: InputFormat, context: LoadContext): Promise<LoadResult> {
  const { store, sample } = context;
  await resetSkippedLines(store);
  try {
    return await format.load(context);
  } catch (error) {
    if (!(error instanceof ReaderSkippedLinesError)) throw error;
  }
  // NOTE: TLS and HTTP side rows carry no file name, so the rows of the first load stay beside those of
  // the second. The joins take one value per uid, so the copies do not change any event.
  await forgetFile(store, sample.path);
  await prepareLineRenumbering(store);
  return format.load({ ...context, sample: { ...sample, renumberLines: true } });
}

/** Builds the message for a damaged compressed file. `events` is null when --strict stops the import. */
function damagedDataMessage(path: string, damage: CompressionDamage, events: number | null): string {
  const next =
    events === null
      ? 'copy the file again, or drop --strict to load the events before the damage'
      : `the ${events} events before the damage were loaded, copy the file again for the rest`;
  return `${path}: ${damage.compression} data is truncated or corrupt (${damage.reason}); ${next}`;
}

/**
 * Deletes what an earlier read of `path` stored: its events, DNS queries, skipped lines and catalogue
 * entry.
 */
async function forgetFile(store: DuckDbStore, path: string): Promise<void> {
  await store.run(`DELETE FROM ${EVENTS_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${DNS_QUERIES_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${DNS_RESPONSES_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${REJECTS_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${FILES_TABLE} WHERE path = ?`, [path]);
}

function firstLineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
