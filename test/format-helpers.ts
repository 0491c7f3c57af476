/**
 * Helpers for the tests of one input format: fixture paths, temporary files, format detection through the
 * registry and a full importFiles load into an in-memory store. Call `cleanUpFormatTests` in afterEach.
 */
import { copyFile, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ConnectionEvent } from '../src/model/event.js';
import { detectFormat } from '../src/ingest/formats.js';
import { importFiles, type ImportOptions } from '../src/ingest/import.js';
import { sniffFile } from '../src/ingest/sniff.js';
import { DuckDbStore } from '../src/store/duckdb.js';

const stores: DuckDbStore[] = [];
const folders: string[] = [];

export async function cleanUpFormatTests(): Promise<void> {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
}

export function fixturePath(format: string, name: string): string {
  return fileURLToPath(new URL(`./fixtures/${format}/${name}`, import.meta.url));
}

/** Writes `content` to a new temporary folder and returns the file's path. */
export async function writeTemp(name: string, content: string | Buffer, mtime?: Date): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-format-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, content);
  if (mtime !== undefined) await utimes(path, mtime, mtime);
  return path;
}

/** Copies a fixture to a temporary folder with the given modification time, for RFC 3164 years. */
export async function copyFixture(format: string, name: string, mtime: Date): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-format-'));
  folders.push(folder);
  const path = join(folder, basename(name));
  await copyFile(fixturePath(format, name), path);
  await utimes(path, mtime, mtime);
  return path;
}

/** Returns the id of the format the registry picks for a file, or null. */
export async function detectedFormatId(path: string): Promise<string | null> {
  return detectFormat(await sniffFile(path))?.id ?? null;
}

/** Imports files with importFiles and returns the summary and every event in file and line order. */
export async function importForTest(paths: string[], options: ImportOptions = {}) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = await importFiles(store, paths, options);
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
  return { summary: report.summary(), events };
}

/** Returns the skipped lines of a summary as "line: reason" strings, in line order. */
export function skippedLines(summary: { samples: Array<{ line: number; reason: string }> }): string[] {
  return [...summary.samples]
    .sort((a, b) => a.line - b.line)
    .map((sample) => `${sample.line}: ${sample.reason}`);
}
