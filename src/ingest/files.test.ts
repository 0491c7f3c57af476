import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test, vi } from 'vitest';

import { InputError, StrictModeError } from '../errors.js';
import { DuckDbStore } from '../store/duckdb.js';
import { collectInputFiles, type InputFile } from './files.js';
import { importFiles, type ImportOptions } from './import.js';

/**
 * Paths whose next file system call of one kind fails with EACCES. Tests run as root, which chmod cannot
 * lock out, so permission errors are injected into node:fs instead.
 */
const denied = vi.hoisted(() => new Map<string, 'stat' | 'readdir' | 'open'>());

function permissionError(syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EACCES: permission denied, ${syscall} '${path}'`), {
    code: 'EACCES',
    errno: -13,
    syscall,
    path,
  });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    stat: (path: string, ...rest: unknown[]) =>
      denied.get(String(path)) === 'stat'
        ? Promise.reject(permissionError('stat', String(path)))
        : (actual.stat as (...args: unknown[]) => unknown)(path, ...rest),
    readdir: (path: string, ...rest: unknown[]) =>
      denied.get(String(path)) === 'readdir'
        ? Promise.reject(permissionError('scandir', String(path)))
        : (actual.readdir as (...args: unknown[]) => unknown)(path, ...rest),
  };
});

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    createReadStream: (path: string, ...rest: unknown[]) => {
      if (denied.get(String(path)) !== 'open') {
        return (actual.createReadStream as (...args: unknown[]) => unknown)(path, ...rest);
      }
      // Like a real stream on an unreadable file: the error comes when the stream is first read.
      return new Readable({
        read() {
          this.destroy(permissionError('open', String(path)));
        },
      });
    },
  };
});

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/zeek/${name}`, import.meta.url));

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  denied.clear();
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-files-'));
  folders.push(folder);
  return folder;
}

async function importPaths(paths: string[], options: ImportOptions = {}) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = await importFiles(store, paths, options);
  const [row] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
  return { summary: report.summary(), events: row?.events ?? 0 };
}

/** Runs an import that must fail and returns its error. */
async function importError(paths: string[], options: ImportOptions = {}): Promise<unknown> {
  const store = await DuckDbStore.open();
  stores.push(store);
  return importFiles(store, paths, options).then(
    () => new Error('importFiles resolved, but an error was expected'),
    (error: unknown) => error,
  );
}

async function collectError(paths: string[]): Promise<unknown> {
  return collectInputFiles(paths).then(
    () => new Error('collectInputFiles resolved, but an error was expected'),
    (error: unknown) => error,
  );
}

/** Describes each collected entry by its path under `root`, marked when it is unreadable or a duplicate. */
function outline(files: readonly InputFile[], root: string): string[] {
  return files.map((file) => {
    const path = file.path.slice(root.length + 1);
    if (file.unreadable) return `${path}: unreadable`;
    if (file.duplicate) return `${path}: duplicate`;
    return path;
  });
}

/** Builds a folder with a conn.log in `logs/` and returns both paths. */
async function logFolder(): Promise<{ root: string; logs: string }> {
  const root = await tempFolder();
  const logs = join(root, 'logs');
  await mkdir(logs);
  await copyFile(fixture('conn-reordered.log'), join(logs, 'conn.log'));
  return { root, logs };
}

describe('collectInputFiles symbolic links', () => {
  test('link to a folder is walked', async () => {
    const { root } = await logFolder();
    const install = join(root, 'install');
    await mkdir(install);
    await writeFile(join(install, 'a.log'), 'first\n');
    await symlink(join(root, 'logs'), join(install, 'current'));
    await writeFile(join(install, 'z.log'), 'last\n');

    const files = await collectInputFiles([install]);

    expect(outline(files, install)).toEqual(['a.log', 'current/conn.log', 'z.log']);
    expect(files.every((file) => !file.explicit)).toBe(true);
  });

  test('link to a file is read', async () => {
    const { root, logs } = await logFolder();
    const folder = join(root, 'picked');
    await mkdir(folder);
    await symlink(join(logs, 'conn.log'), join(folder, 'today.log'));

    const { summary, events } = await importPaths([folder]);

    expect(summary.files.map((file) => file.path)).toEqual([join(folder, 'today.log')]);
    expect(summary.files[0]?.status).toBe('loaded');
    expect(events).toBe(3);
  });

  test('same real file is read once', async () => {
    const { logs } = await logFolder();
    await symlink('conn.log', join(logs, 'latest.log'));

    const { summary, events } = await importPaths([logs], { strict: true });

    expect(events).toBe(3);
    expect(summary.duplicatesDropped).toBe(0);
    const [read, duplicate] = summary.files;
    expect(read?.path).toBe(join(logs, 'conn.log'));
    expect(read?.status).toBe('loaded');
    expect(duplicate?.path).toBe(join(logs, 'latest.log'));
    expect(duplicate?.status).toBe('ignored');
    expect(duplicate?.message).toBe(
      `${join(logs, 'latest.log')}: same file as ${join(logs, 'conn.log')}, which is read instead`,
    );
  });

  test('file named twice is read once', async () => {
    const { logs } = await logFolder();
    const path = join(logs, 'conn.log');

    const files = await collectInputFiles([logs, path]);

    expect(files).toHaveLength(2);
    expect(files[0]?.duplicate).toBeUndefined();
    expect(files[1]?.duplicate).toBe(`${path}: same file as ${path}, which is read instead`);
  });

  test('link loop ends', async () => {
    const { root, logs } = await logFolder();
    await symlink('..', join(logs, 'up'));
    await symlink('.', join(logs, 'self'));

    const files = await collectInputFiles([logs]);

    // `up` leads to the root, which contains `logs` again.
    expect(outline(files, logs)).toEqual(['conn.log', 'self: duplicate', 'up/logs: duplicate']);
    expect(files[1]?.duplicate).toBe(`${join(logs, 'self')}: same folder as ${logs}, which is read instead`);
    expect(root.length).toBeGreaterThan(0);
  });

  test('broken link is listed as ignored', async () => {
    const { logs } = await logFolder();
    const link = join(logs, 'old.log');
    await symlink('rotated/old.log', link);

    const { summary, events } = await importPaths([logs]);

    expect(events).toBe(3);
    const broken = summary.files.find((file) => file.path === link);
    expect(broken?.status).toBe('ignored');
    expect(broken?.message).toBe(
      `${link}: broken symbolic link to rotated/old.log, which does not exist; fix or remove the link`,
    );
  });

  test('broken link fails under --strict', async () => {
    const { logs } = await logFolder();
    await symlink('rotated/old.log', join(logs, 'old.log'));

    const error = await importError([logs], { strict: true });

    expect(error).toBeInstanceOf(InputError);
    expect(error).not.toBeInstanceOf(StrictModeError);
    expect((error as InputError).message).toContain(`${join(logs, 'old.log')}: broken symbolic link`);
  });

  test('broken link named explicitly', async () => {
    const { logs } = await logFolder();
    const link = join(logs, 'old.log');
    await symlink('rotated/old.log', link);

    const error = await collectError([link]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      `${link}: broken symbolic link to rotated/old.log, which does not exist; fix or remove the link`,
    );
    expect((error as InputError).file).toBe(link);
  });

  test('hidden link is skipped', async () => {
    const { logs } = await logFolder();
    await symlink('nowhere', join(logs, '.lock'));

    const files = await collectInputFiles([logs]);

    expect(outline(files, logs)).toEqual(['conn.log']);
  });
});

describe('collectInputFiles permission denied', () => {
  const permissionMessage = (path: string) =>
    `${path}: permission denied; check its permissions, or run beaconhunt as a user that can read it`;

  test('file named explicitly', async () => {
    const { logs } = await logFolder();
    const path = join(logs, 'conn.log');
    denied.set(path, 'stat');

    const error = await importError([path]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(permissionMessage(path));
    expect((error as InputError).file).toBe(path);
  });

  test('unreadable file named explicitly', async () => {
    const { logs } = await logFolder();
    const path = join(logs, 'conn.log');
    denied.set(path, 'open');

    const error = await importError([path]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(permissionMessage(path));
  });

  test('unreadable file inside a folder', async () => {
    const { logs } = await logFolder();
    const path = join(logs, 'secret.log');
    await copyFile(join(logs, 'conn.log'), path);
    denied.set(path, 'open');

    const { summary, events } = await importPaths([logs]);

    expect(events).toBe(3);
    const outcome = summary.files.find((file) => file.path === path);
    expect(outcome?.status).toBe('ignored');
    expect(outcome?.message).toBe(permissionMessage(path));
  });

  test('unreadable file fails under --strict', async () => {
    const { logs } = await logFolder();
    const path = join(logs, 'secret.log');
    await copyFile(join(logs, 'conn.log'), path);
    denied.set(path, 'open');

    const error = await importError([logs], { strict: true });

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(permissionMessage(path));
  });

  test('unreadable subfolder is listed', async () => {
    const { root, logs } = await logFolder();
    const locked = join(root, 'locked');
    await mkdir(locked);
    denied.set(locked, 'readdir');

    const { summary, events } = await importPaths([root]);

    expect(events).toBe(3);
    expect(summary.files.map((file) => file.path)).toEqual([locked, join(logs, 'conn.log')]);
    expect(summary.files[0]?.status).toBe('ignored');
    expect(summary.files[0]?.message).toBe(permissionMessage(locked));
  });

  test('unreadable folder named explicitly', async () => {
    const { logs } = await logFolder();
    denied.set(logs, 'readdir');

    const error = await collectError([logs]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(permissionMessage(logs));
  });

  test('link whose target cannot be checked', async () => {
    const { root, logs } = await logFolder();
    const link = join(root, 'current');
    await symlink(logs, link);
    denied.set(link, 'stat');

    const files = await collectInputFiles([root]);

    expect(outline(files, root)).toEqual(['current: unreadable', 'logs/conn.log']);
    expect(files[0]?.unreadable?.message).toBe(permissionMessage(link));
  });
});

describe('collectInputFiles standard input and pipes', () => {
  const standardInputMessage = (path: string) =>
    `${path}: standard input is a terminal or closed; pipe the logs in (cat conn.log | beaconhunt scan -) or name the files`;

  // The import reads `-` itself; collecting it as a named path means there was nothing to read.
  test('dash is not a file path', async () => {
    const error = await collectError(['-']);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(standardInputMessage('-'));
  });

  // /dev/stdin that is a regular file (input redirected from a file) is read like any file.
  test.skipIf(statSync('/dev/stdin', { throwIfNoEntry: false })?.isFile() !== false)(
    '/dev/stdin is standard input',
    async () => {
      const error = await collectError(['/dev/stdin']);

      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toBe(standardInputMessage('/dev/stdin'));
    },
  );

  test('named pipe named explicitly', async () => {
    const folder = await tempFolder();
    const pipe = join(folder, 'conn.fifo');
    execFileSync('mkfifo', [pipe]);

    const error = await importError([pipe]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      `${pipe}: a named pipe, not a file; pipe it to standard input instead (beaconhunt scan - < ${pipe})`,
    );
  });

  test('named pipe inside a folder', async () => {
    const { logs } = await logFolder();
    const pipe = join(logs, 'live.fifo');
    execFileSync('mkfifo', [pipe]);

    // A pipe that were opened would block the import until another process writes to it.
    const { summary, events } = await importPaths([logs]);

    expect(events).toBe(3);
    const outcome = summary.files.find((file) => file.path === pipe);
    expect(outcome?.status).toBe('ignored');
    expect(outcome?.message).toContain('a named pipe, not a file');
  });
});
