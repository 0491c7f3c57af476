/**
 * Runs the built `beaconhunt` binary in a child process, as a user runs it, and returns its exit code,
 * stdout and stderr. `npm test` builds dist/ first.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { REPOSITORY_ROOT } from './shared-data.js';

const run = promisify(execFile);

export const BIN = join(REPOSITORY_ROOT, 'bin', 'beaconhunt.js');

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function beaconhunt(...args: string[]): Promise<Outcome> {
  return beaconhuntWithEnv(args);
}

/** Runs the binary with `env` added to this process's environment. */
export async function beaconhuntWithEnv(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
