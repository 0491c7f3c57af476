/**
 * The import stage: files in, normalised events out. Each file is sampled, matched to a format and
 * loaded; the outcome of every file and every skipped line goes into the report.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

import { newestEventTime } from '../detect/detector.js';
import { firstLineOf, InputError, UsageError } from '../errors.js';
import { LocalNetworks } from '../net/locality.js';
import type { DuckDbStore } from '../store/duckdb.js';
import {
  DNS_QUERIES_TABLE,
  DNS_RESPONSES_TABLE,
  EVENTS_TABLE,
  FILES_TABLE,
  FLOW_HTTP_TABLE,
  FLOW_TLS_TABLE,
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
  /**
   * Records each file's SHA-256 and passes over a file whose content the dataset already contains under
   * any path. By default it is on for a database file, and for an in-memory store when the run has more
   * than one file, because one file in memory has nothing to be compared with.
   */
  hashContent?: boolean;
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
  const hashContent = options.hashContent ?? (store.path !== ':memory:' || files.length > 1);
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
        importOne(store, file, report, localNetworks, { ...options, hashContent }, forced),
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

  // A file at a path the catalogue has, with the same size, is passed over without reading it again, so
  // that importing a whole log folder each day reads only the new and the grown files.
  // NOTE: a file rewritten in place with other content of the same size is therefore not read again.
  const [previous] = await store.all<{ imports: number; sameSize: number }>(
    `SELECT count(*) AS imports, count(*) FILTER (WHERE bytes = ?) AS sameSize FROM ${FILES_TABLE} WHERE path = ?`,
    [sample.bytes, file.path],
  );
  if ((previous?.sameSize ?? 0) > 0) {
    return passedOver(
      file.path,
      format.id,
      `${file.path}: already in this dataset (same path and size); not imported again`,
    );
  }

  // The digest is computed before the load, so a copy costs one read and no load or rollback. The load
  // then reads the file a second time, from the page cache when the file fits in free memory.
  let sha256: string | null = null;
  if (options.hashContent === true) {
    try {
      sha256 = await sha256OfFile(await contentPath(file));
    } catch (error) {
      const inputError = await fileSystemInputError(file.path, error);
      if (inputError !== null) return failOrIgnore(inputError);
      throw error;
    }
    const earlier = await findSameContent(store, sha256);
    if (earlier !== null) {
      return passedOver(
        file.path,
        format.id,
        `${file.path}: same content as ${earlier.path}, imported ${new Date(earlier.importedat).toISOString()}; ` +
          'not imported again',
      );
    }
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
    // Running out of memory is no fault of the file, so it fails the run even for a file found in a
    // folder, and the message gives the way out. Passing over the file would hide its events.
    if (/Out of Memory Error/i.test(firstLineOf(error))) {
      throw new InputError(
        `${file.path}: DuckDB ran out of memory reading it as ${format.id} (${firstLineOf(error)}); ` +
          'raise the limit with --memory-limit or BEACONHUNT_MEMORY_LIMIT, such as 4GB',
        file.path,
      );
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
    await store.run(
      `INSERT INTO ${FILES_TABLE} (path, format, bytes, events, skipped, importedat, sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [file.path, format.id, sample.bytes, result.events, result.skipped, Date.now(), sha256],
    );
  }
  return outcome;
}

/**
 * Returns the path whose bytes identify a file: the file the user named, as stored on disk. The stored
 * bytes need no decompression, are the fewest to read, and give the digest that `sha256sum FILE` prints,
 * so a catalogue row can be checked by hand. The price is that a log and its gzip copy (conn.log and
 * conn.log.gz) count as different content. Standard input and zip members have no file of their own on
 * disk, so their unpacked copy is hashed.
 */
async function contentPath(file: InputFile): Promise<string> {
  if (file.readPath === undefined) return file.path;
  if (file.path === STANDARD_INPUT_NAME) return file.readPath;
  const info = await stat(file.path).catch(() => null);
  return info?.isFile() === true ? file.path : file.readPath;
}

/** Returns the SHA-256 of a file's bytes as lower-case hex. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Read size for hashing; larger chunks than the 64 KiB default mean fewer calls into the hash. */
const HASH_CHUNK_BYTES = 1 << 20;

/** Returns the earliest catalogue entry with this digest, or null when the dataset has none. */
async function findSameContent(
  store: DuckDbStore,
  sha256: string,
): Promise<{ path: string; importedat: number } | null> {
  const [row] = await store.all<{ path: string; importedat: number }>(
    `SELECT path, importedat FROM ${FILES_TABLE} WHERE sha256 = ? ORDER BY importedat, path LIMIT 1`,
    [sha256],
  );
  return row ?? null;
}

/** Builds the outcome of a file already in the dataset, which is not read again. */
function passedOver(path: string, format: string, message: string): FileOutcome {
  return { path, format, status: 'ignored', events: 0, skipped: 0, message };
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
export async function forgetFile(store: DuckDbStore, path: string): Promise<void> {
  await store.run(`DELETE FROM ${EVENTS_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${DNS_QUERIES_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${DNS_RESPONSES_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${REJECTS_TABLE} WHERE sourcefile = ?`, [path]);
  await store.run(`DELETE FROM ${FILES_TABLE} WHERE path = ?`, [path]);
}

/** The rows deleted by `applyRetention`, with the times that decided the cut. */
export interface RetentionResult {
  /** The analysis time the retention is counted back from, epoch ms; null for an empty dataset. */
  now: number | null;
  /** Rows that started before this time, epoch ms, were deleted; null for an empty dataset. */
  cutoff: number | null;
  /** Connection events deleted. */
  events: number;
  /** DNS queries deleted. */
  dnsQueries: number;
}

/**
 * Deletes the events, DNS queries and TLS and HTTP side-table rows that started before `now` minus
 * `retentionMs`. A row that started exactly at the cutoff is kept. `now` defaults to the newest event or
 * DNS query in the dataset, the default end of a scan's window, because the wall clock would empty a
 * dataset of old logs under analysis. The catalogue of files is kept, so that a rotated file given again
 * is still recognised and passed over. Runs in one transaction.
 */
export async function applyRetention(
  store: DuckDbStore,
  retentionMs: number,
  now?: number,
): Promise<RetentionResult> {
  const analysisTime = now ?? (await newestEventTime(store));
  if (analysisTime === null) return { now: null, cutoff: null, events: 0, dnsQueries: 0 };
  const cutoff = analysisTime - retentionMs;
  return inTransaction(store, async () => {
    const events = await store.run(`DELETE FROM ${EVENTS_TABLE} WHERE starttime < ?`, [cutoff]);
    const dnsQueries = await store.run(`DELETE FROM ${DNS_QUERIES_TABLE} WHERE starttime < ?`, [cutoff]);
    // Suricata responses are merged into their queries at the end of an import, so this table is
    // normally empty. A response left without a query is cut like any other row.
    await store.run(`DELETE FROM ${DNS_RESPONSES_TABLE} WHERE starttime < ?`, [cutoff]);
    for (const table of await existingFlowSideTables(store)) {
      await store.run(`DELETE FROM ${table} WHERE ts < ?`, [cutoff]);
    }
    return { now: analysisTime, cutoff, events, dnsQueries };
  });
}

/** Returns which of the TLS and HTTP side tables exist; the first loader that needs them creates them. */
async function existingFlowSideTables(store: DuckDbStore): Promise<string[]> {
  const rows = await store.all<{ name: string }>(
    `SELECT table_name AS name FROM duckdb_tables() WHERE database_name = current_database()
       AND table_name IN ('${FLOW_TLS_TABLE}', '${FLOW_HTTP_TABLE}') ORDER BY table_name`,
  );
  return rows.map((row) => row.name);
}
