/** Expands the paths a user gives into the files to read: folders are walked recursively, in name order. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { InputError } from '../errors.js';

export interface InputFile {
  path: string;
  /** True when the user named the file itself rather than a folder that contains it. */
  explicit: boolean;
}

export async function collectInputFiles(paths: readonly string[]): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info === null) {
      throw new InputError(`${path}: no such file or folder; check the path`, path);
    }
    if (info.isDirectory()) {
      for (const file of await walk(path)) files.push({ path: file, explicit: false });
    } else {
      files.push({ path, explicit: true });
    }
  }
  return files;
}

async function walk(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    // Hidden files and folders (.git, .DS_Store) are never logs.
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
