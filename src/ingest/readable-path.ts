/**
 * DuckDB's file readers expand glob patterns (`*`, `?`, `[...]`) in every path they are given, so a log
 * named `conn[1].log` would be read as the pattern that matches `conn1.log`. Such a file is read through
 * a symbolic link with a plain name in a private temporary folder instead.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** Characters that DuckDB's glob matching treats specially; braces are included to be safe. */
const GLOB_CHARACTERS = /[*?[\]{}]/;

export interface ReadablePath {
  /** The path to give DuckDB. */
  path: string;
  /** Removes the temporary link, if one was made. */
  dispose: () => Promise<void>;
}

export async function duckDbReadablePath(path: string): Promise<ReadablePath> {
  if (!GLOB_CHARACTERS.test(path)) return { path, dispose: async () => {} };
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-input-'));
  const link = join(folder, basename(path).replace(new RegExp(GLOB_CHARACTERS, 'g'), '_'));
  await symlink(resolve(path), link);
  return { path: link, dispose: () => rm(folder, { recursive: true, force: true }) };
}
