/**
 * Expands the paths a user gives into the files to read. Folders are walked recursively in name order,
 * following symbolic links to files and to folders (a Zeek install's `current` link to its spool). Each
 * real file or folder is read once, under the first path that reaches it, so a link back to a parent
 * folder ends instead of looping.
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { InputError } from '../errors.js';
import type { CompressionDamage } from './decompress.js';

export interface InputFile {
  /** The name shown to the user and stored as each event's sourcefile. */
  path: string;
  /** Path the content is read from when it is not `path`: an unpacked archive member or standard input. */
  readPath?: string;
  /** True when the user named the file itself rather than a folder that contains it. */
  explicit: boolean;
  /**
   * The error that makes an entry met in a folder unreadable, such as a broken link or denied permission.
   * The import lists the entry as ignored with this error, or fails with it under --strict.
   */
  unreadable?: InputError;
  /**
   * The message for a path that leads to a file or folder already collected under another path. The
   * import lists it as ignored with this message and reads nothing from it, even under --strict.
   */
  duplicate?: string;
  /**
   * Set for a bzip2 or Zstandard file whose data is damaged. `readPath` then contains what decompressed
   * before the damage, which the import loads with a warning, or rejects under --strict.
   */
  damage?: CompressionDamage;
}

/** Paths that name standard input: the usual `-`, and Linux's links to file descriptor 0. */
export const STANDARD_INPUT_PATHS: ReadonlySet<string> = new Set([
  '-',
  '/dev/stdin',
  '/dev/fd/0',
  '/proc/self/fd/0',
]);

interface Walk {
  files: InputFile[];
  /** The first path collected for each real path, of files and folders alike. */
  seen: Map<string, string>;
}

/**
 * Lists the files to read for `paths`. A path the user named that cannot be read throws an InputError.
 * An entry met inside a folder that cannot be read is listed with `unreadable` set instead.
 */
export async function collectInputFiles(paths: readonly string[]): Promise<InputFile[]> {
  const walk: Walk = { files: [], seen: new Map() };
  for (const path of paths) {
    const info = await statNamedPath(path);
    if (!info.isFile() && !info.isDirectory()) throw new InputError(notRegularFileMessage(path, info), path);
    const realPath = await realpath(path).catch(throwInputError(path));
    if (info.isDirectory()) await addFolder(path, realPath, true, walk);
    else addFile(path, realPath, true, walk);
  }
  return walk.files;
}

/** Returns the status of a path the user named, following links. Standard input is rejected here. */
async function statNamedPath(path: string): Promise<Stats> {
  const standardInput = new InputError(notRegularFileMessage(path, null), path);
  if (path === '-') throw standardInput;
  try {
    return await stat(path);
  } catch (error) {
    // /dev/stdin leads nowhere when the process has no standard input.
    if (STANDARD_INPUT_PATHS.has(path)) throw standardInput;
    throw (await fileSystemInputError(path, error)) ?? error;
  }
}

/**
 * Converts an error from reading `path` into an InputError with the fix, for the errors a user can fix:
 * a missing path or link target, denied permission, or a loop of links. Returns null for any other error.
 */
export async function fileSystemInputError(path: string, error: unknown): Promise<InputError | null> {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const target = await readlink(path).catch(() => null);
    if (target === null) return new InputError(`${path}: no such file or folder; check the path`, path);
    return new InputError(
      `${path}: broken symbolic link to ${target}, which does not exist; fix or remove the link`,
      path,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError(
      `${path}: permission denied; check its permissions, or run beaconhunt as a user that can read it`,
      path,
    );
  }
  if (code === 'ELOOP') {
    return new InputError(`${path}: too many levels of symbolic links; fix or remove the link loop`, path);
  }
  return null;
}

/** Returns a catch handler that rethrows a file system error as fileSystemInputError's InputError. */
function throwInputError(path: string): (error: unknown) => Promise<never> {
  return async (error: unknown) => {
    throw (await fileSystemInputError(path, error)) ?? error;
  };
}

function addFile(path: string, realPath: string, explicit: boolean, walk: Walk): void {
  const first = walk.seen.get(realPath);
  if (first !== undefined) {
    const duplicate = `${path}: same file as ${first}, which is read instead`;
    walk.files.push({ path, explicit, duplicate });
    return;
  }
  walk.seen.set(realPath, path);
  walk.files.push({ path, explicit });
}

async function addFolder(path: string, realPath: string, explicit: boolean, walk: Walk): Promise<void> {
  const first = walk.seen.get(realPath);
  if (first !== undefined) {
    const duplicate = `${path}: same folder as ${first}, which is read instead`;
    walk.files.push({ path, explicit, duplicate });
    return;
  }
  walk.seen.set(realPath, path);
  await walkFolder(path, realPath, walk);
}

/**
 * Collects the entries of `folder`, whose resolved path is `realFolder`. Throws an InputError when the
 * folder itself cannot be read. Entries that cannot be read are listed with `unreadable` set.
 */
async function walkFolder(folder: string, realFolder: string, walk: Walk): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(throwInputError(folder));
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    // Hidden files and folders (.git, .DS_Store) are never logs.
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    try {
      await addEntry(entry, path, join(realFolder, entry.name), walk);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      walk.files.push({ path, explicit: false, unreadable: error });
    }
  }
}

/** Adds one folder entry. `realPath` is its resolved path unless the entry is a symbolic link. */
async function addEntry(entry: Dirent, path: string, realPath: string, walk: Walk): Promise<void> {
  if (entry.isFile()) return addFile(path, realPath, false, walk);
  if (entry.isDirectory()) return addFolder(path, realPath, false, walk);
  if (!entry.isSymbolicLink()) throw new InputError(notRegularFileMessage(path, entry), path);

  const target = await stat(path).catch(throwInputError(path));
  if (!target.isFile() && !target.isDirectory()) {
    throw new InputError(notRegularFileMessage(path, target), path);
  }
  const realTarget = await realpath(path).catch(throwInputError(path));
  if (target.isDirectory()) return addFolder(path, realTarget, false, walk);
  return addFile(path, realTarget, false, walk);
}

/**
 * Builds the message for a path that is neither a regular file nor a folder. Such files are never
 * opened, because opening a pipe blocks until another process writes to it. `info` is null when the
 * path names standard input and could not be checked.
 */
function notRegularFileMessage(path: string, info: Stats | Dirent | null): string {
  if (STANDARD_INPUT_PATHS.has(path)) {
    return `${path}: standard input is a terminal or closed; pipe the logs in (cat conn.log | beaconhunt scan -) or name the files`;
  }
  if (info?.isFIFO() === true) {
    return `${path}: a named pipe, not a file; pipe it to standard input instead (beaconhunt scan - < ${path})`;
  }
  const kind = info?.isSocket() === true ? 'a socket' : 'a device';
  return `${path}: ${kind}, not a regular file; pass log files or folders of them`;
}
