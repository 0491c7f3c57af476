import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { tmpdir } from 'node:os';

import { describe, expect, it } from 'vitest';

import { exitCodeFor, startInterruptibleRun } from './interrupt.js';

/** Returns the SIGINT listener that `start` adds, so that a test calls it without sending a signal. */
function addedSigintListener(start: () => void): (signal: string) => void {
  const before = new Set(process.listeners('SIGINT'));
  start();
  const added = process.listeners('SIGINT').filter((listener) => !before.has(listener));
  expect(added).toHaveLength(1);
  return added[0] as (signal: string) => void;
}

describe('startInterruptibleRun', () => {
  it('gives the run a private TMPDIR and removes it at the end', () => {
    const previous = process.env.TMPDIR;
    const run = startInterruptibleRun({ onFirst: () => {}, secondMessage: 'unused' });
    const folder = tmpdir();
    const inside = existsSync(folder);
    run.end();

    expect(basename(folder)).toMatch(/^beaconhunt-run-/);
    expect(inside).toBe(true);
    expect(existsSync(folder)).toBe(false);
    expect(process.env.TMPDIR).toBe(previous);
  });

  it('aborts the run on the first signal', () => {
    let stops = 0;
    let run: ReturnType<typeof startInterruptibleRun> | undefined;
    const listener = addedSigintListener(() => {
      run = startInterruptibleRun({ onFirst: () => (stops += 1), secondMessage: 'unused' });
    });
    try {
      listener('SIGINT');

      expect(run?.signal.aborted).toBe(true);
      expect(run?.received).toBe('SIGINT');
      expect(stops).toBe(1);
    } finally {
      run?.end();
    }
    expect(process.listeners('SIGINT')).not.toContain(listener);
  });
});

describe('exitCodeFor', () => {
  it('adds the signal number to 128', () => {
    expect(exitCodeFor('SIGINT')).toBe(130);
    expect(exitCodeFor('SIGTERM')).toBe(143);
  });
});
