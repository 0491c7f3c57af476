/**
 * Archives and compressed files that DuckDB's readers cannot open: zip archives, bzip2 and Zstandard. Each
 * is unpacked into a private temporary folder before the import, and the unpacked files are read in place
 * of the original. Their events keep the name the user gave: the original path for a compressed file,
 * and `archive.zip!/inner/path` for a file inside a zip archive. gzip needs none of this, because every
 * reader streams it directly.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import yauzl from 'yauzl';

import { InputError, InterruptedError } from '../errors.js';
import { decompressFile } from './decompress.js';
import { transcodeUtf16File, utf16Encoding, type Utf16Encoding } from './utf16.js';
import type { InputFile } from './files.js';

export type ContainerKind = 'zip' | 'bzip2' | 'zstd' | Utf16Encoding;

/**
 * Magic numbers: zip local file header "PK\x03\x04", bzip2 "BZh", Zstandard frame 0xFD2FB528
 * (little-endian), and the UTF-16 byte order marks.
 */
export function containerKind(head: Uint8Array): ContainerKind | null {
  const utf16 = utf16Encoding(head);
  if (utf16 !== null) return utf16;
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return null;
}

/** A temporary folder for unpacked files, removed when the import ends. */
export class Workspace {
  private folder: string | null = null;
  private count = 0;

  /** Returns a new path inside the workspace, under a numbered folder so that names never collide. */
  async newPath(name: string): Promise<string> {
    this.folder ??= await mkdtemp(join(tmpdir(), 'beaconhunt-unpacked-'));
    this.count += 1;
    const path = join(this.folder, String(this.count), name);
    await mkdir(dirname(path), { recursive: true });
    return path;
  }

  async dispose(): Promise<void> {
    if (this.folder !== null) await rm(this.folder, { recursive: true, force: true });
    this.folder = null;
  }
}

/**
 * Replaces each zip, bzip2 or Zstandard file with the files it unpacks to. A container that cannot be
 * unpacked is kept with `unreadable` set, so the import reports it like any unreadable file. When `signal`
 * is aborted, unpacking stops with InterruptedError and the caller's workspace.dispose() removes what was
 * unpacked.
 */
export async function expandContainers(
  files: readonly InputFile[],
  workspace: Workspace,
  signal?: AbortSignal,
): Promise<InputFile[]> {
  const expanded: InputFile[] = [];
  for (const file of files) {
    throwIfAborted(signal);
    if (file.unreadable !== undefined || file.duplicate !== undefined) {
      expanded.push(file);
      continue;
    }
    const kind = await readContainerKind(file.readPath ?? file.path);
    if (kind === null) {
      expanded.push(file);
      continue;
    }
    try {
      expanded.push(...(await unpack(file, kind, workspace, signal)));
    } catch (error) {
      throwIfAborted(signal);
      const reason = error instanceof Error ? error.message : String(error);
      const unreadable = new InputError(
        `${file.path}: cannot unpack the ${kind} data (${reason}); check the file, or copy it again if it is truncated`,
        file.path,
      );
      expanded.push({ ...file, unreadable });
    }
  }
  return expanded;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError('interrupted while unpacking');
}

/** Pipeline options that stop the copy when `signal` is aborted. */
function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

async function readContainerKind(path: string): Promise<ContainerKind | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (handle === null) return null;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return containerKind(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Containers inside containers (a .bz2 inside a .zip) are opened up to this depth. */
const MAX_NESTING = 3;

async function unpack(
  file: InputFile,
  kind: ContainerKind,
  workspace: Workspace,
  signal: AbortSignal | undefined,
  depth = 1,
): Promise<InputFile[]> {
  const source = file.readPath ?? file.path;
  if (kind === 'zip') {
    const entries = await unpackZip(file, source, workspace, signal);
    return depth < MAX_NESTING ? expandNested(entries, workspace, signal, depth) : entries;
  }
  const target = await workspace.newPath('unpacked');
  if (kind === 'utf-16le' || kind === 'utf-16be') {
    await transcodeUtf16File(source, target, kind, signal);
    return [{ ...file, readPath: target }];
  }
  const { bytes, damage } = await decompressFile(source, target, kind, signal);
  if (damage === null) return [{ ...file, readPath: target }];
  // With nothing before the damage there is nothing to load, so the file is reported as unreadable.
  if (bytes === 0) throw new Error(damage.reason);
  return [{ ...file, readPath: target, damage }];
}

/** Opens the containers among a zip archive's members, so they are read as if found in a folder. */
async function expandNested(
  entries: InputFile[],
  workspace: Workspace,
  signal: AbortSignal | undefined,
  depth: number,
): Promise<InputFile[]> {
  const expanded: InputFile[] = [];
  for (const entry of entries) {
    throwIfAborted(signal);
    const kind = await readContainerKind(entry.readPath ?? entry.path);
    if (kind === null) {
      expanded.push(entry);
      continue;
    }
    try {
      expanded.push(...(await unpack(entry, kind, workspace, signal, depth + 1)));
    } catch (error) {
      throwIfAborted(signal);
      const reason = error instanceof Error ? error.message : String(error);
      expanded.push({
        ...entry,
        unreadable: new InputError(`${entry.path}: cannot unpack the ${kind} data (${reason})`, entry.path),
      });
    }
  }
  return expanded;
}

/** Extracts every file of a zip archive; entries count as files met in a folder, not files the user named. */
async function unpackZip(
  file: InputFile,
  source: string,
  workspace: Workspace,
  signal: AbortSignal | undefined,
): Promise<InputFile[]> {
  const archive = await openZip(source);
  const entries: InputFile[] = [];
  try {
    for await (const entry of zipEntries(archive)) {
      throwIfAborted(signal);
      if (entry.fileName.endsWith('/')) continue;
      // yauzl has already rejected names that climb out; normalising again costs nothing.
      const inner = normalize(entry.fileName.replaceAll('\\', '/'))
        .replace(/^(\.\.(\/|$))+/, '')
        .replace(/^\/+/, '');
      const target = await workspace.newPath(inner);
      const stream = await openZipEntry(archive, entry);
      await pipeline(stream, createWriteStream(target), signalOption(signal));
      entries.push({ path: `${file.path}!/${entry.fileName}`, readPath: target, explicit: false });
    }
  } finally {
    archive.close();
  }
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // yauzl rejects an archive whose entry names are absolute or climb out with "..".
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, archive) => {
      if (error || !archive) reject(error ?? new Error('no archive'));
      else resolve(archive);
    });
  });
}

async function* zipEntries(archive: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  while (true) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const onEntry = (next: yauzl.Entry) => {
        cleanup();
        resolve(next);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        archive.off('entry', onEntry);
        archive.off('end', onEnd);
        archive.off('error', onError);
      };
      archive.on('entry', onEntry);
      archive.on('end', onEnd);
      archive.on('error', onError);
      archive.readEntry();
    });
    if (entry === null) return;
    yield entry;
  }
}

function openZipEntry(archive: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    archive.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(error ?? new Error(`cannot read ${entry.fileName}`));
      else resolve(stream);
    });
  });
}
