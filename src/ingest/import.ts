/**
 * The import stage: files in, normalised events out. Each file is sampled, matched to a format and
 * loaded; the outcome of every file and every skipped line goes into the report.
 */
import { InputError } from '../errors.js';
import { LocalNetworks } from '../net/locality.js';
import type { DuckDbStore } from '../store/duckdb.js';
import { FILES_TABLE } from '../store/schema.js';
import { assignDirections, dropDuplicateEvents, joinZeekProtocolLogs } from './finalize.js';
import { collectInputFiles, type InputFile } from './files.js';
import { detectFormat, INPUT_FORMATS } from './formats.js';
import { verifyGzip } from './gzip.js';
import { IngestReport, type FileOutcome } from './report.js';
import { sniffFile } from './sniff.js';

export interface ImportOptions {
  localNetworks?: LocalNetworks;
  /** Fail on the first skipped line or unusable file instead of counting it. */
  strict?: boolean;
  /** Called after each file, for progress display. */
  onFile?: (done: number, total: number, outcome: FileOutcome) => void;
}

export async function importFiles(
  store: DuckDbStore,
  paths: readonly string[],
  options: ImportOptions = {},
): Promise<IngestReport> {
  const report = new IngestReport(options.strict ?? false);
  const localNetworks = options.localNetworks ?? new LocalNetworks();
  const files = await collectInputFiles(paths);
  if (files.length === 0) {
    throw new InputError(
      `no files found in ${paths.join(', ')}; point beaconhunt at log files or folders of them`,
    );
  }

  for (const [index, file] of files.entries()) {
    const outcome = await importOne(store, file, report, localNetworks, options.strict ?? false);
    report.addFile(outcome);
    options.onFile?.(index + 1, files.length, outcome);
  }

  report.duplicatesDropped += await dropDuplicateEvents(store);
  await joinZeekProtocolLogs(store);
  await assignDirections(store, localNetworks);
  return report;
}

async function importOne(
  store: DuckDbStore,
  file: InputFile,
  report: IngestReport,
  localNetworks: LocalNetworks,
  strict: boolean,
): Promise<FileOutcome> {
  const failOrIgnore = (error: InputError): FileOutcome => {
    // A file the user named must be usable; files met while walking a folder (READMEs, pcaps) are
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

  let sample;
  try {
    sample = await sniffFile(file.path);
  } catch (error) {
    if (error instanceof InputError) return failOrIgnore(error);
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
  const format = detectFormat(sample);
  if (format === null) {
    const firstLine = (sample.lines.find((line) => line.trim() !== '') ?? '').slice(0, 60);
    return failOrIgnore(
      new InputError(
        `${file.path}: unknown format (first line "${firstLine}"); supported: ${INPUT_FORMATS.map((f) => f.id).join(', ')}`,
        file.path,
      ),
    );
  }

  const integrity = sample.compression === 'gzip' ? verifyGzip(file.path) : Promise.resolve(null);
  let result;
  try {
    result = await format.load({ store, sample, report, localNetworks });
  } catch (error) {
    if (error instanceof InputError) throw error;
    return failOrIgnore(
      new InputError(`${file.path}: could not be read as ${format.id}: ${firstLineOf(error)}`, file.path),
    );
  }
  const damage = await integrity;
  const outcome: FileOutcome = { path: file.path, format: format.id, ...result };
  if (damage !== null) {
    const message = `${file.path}: gzip data is truncated or corrupt (${damage}); the ${result.events} events before the damage were loaded, copy the file again for the rest`;
    if (strict) throw new InputError(message, file.path);
    outcome.message = message;
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

function firstLineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
