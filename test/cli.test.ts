/**
 * The `beaconhunt` command as a user runs it: the built binary in a child process, its stdout, stderr and
 * exit code. `npm test` builds dist/ first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { beaconhunt, BIN } from './run-cli.js';
import { REPOSITORY_ROOT } from './shared-data.js';

const SAMPLE_ZEEK = join(REPOSITORY_ROOT, 'samples', 'zeek');

let workdir: string;

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'beaconhunt-cli-'));
});

afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

describe('beaconhunt CLI', () => {
  test('--help lists commands and exit codes', async () => {
    const outcome = await beaconhunt('--help');

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('scan');
    expect(outcome.stdout).toContain('import');
    expect(outcome.stdout).toContain('Exit codes');
    expect(outcome.stdout).toMatch(/^ {2}130 +interrupted by Ctrl-C \(SIGINT\)/m);
    expect(outcome.stdout).toMatch(/^ {2}143 +stopped by SIGTERM/m);
  });

  test('import --help lists exit codes 130 and 143', async () => {
    const outcome = await beaconhunt('import', '--help');

    expect(outcome.stdout).toMatch(/^ {2}130 /m);
    expect(outcome.stdout).toMatch(/^ {2}143 /m);
  });

  test('scan --help documents the output flags', async () => {
    const outcome = await beaconhunt('scan', '--help');

    expect(outcome.code).toBe(0);
    for (const flag of [
      '--json',
      '--ndjson',
      '--csv',
      '--db',
      '--local-net',
      '--strict',
      '--now',
      '--window',
    ]) {
      expect(outcome.stdout).toContain(flag);
    }
  });

  test('unknown flag exits 1 with a hint', async () => {
    const outcome = await beaconhunt('scan', '--frobnicate', SAMPLE_ZEEK);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain("unknown option '--frobnicate'");
    expect(outcome.stderr).toContain('--help');
  });

  test('missing path exits 1 with one line', async () => {
    const outcome = await beaconhunt('scan', join(workdir, 'no-such.log'));

    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toContain('no such file or folder');
  });

  test('bad --window value exits 1', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--window', 'soon');

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('invalid duration "soon"');
  });

  test('a flag of the other detector exits 1', async () => {
    const beacon = await beaconhunt('scan', SAMPLE_ZEEK, '--ports', '443');
    const qradar = await beaconhunt('scan', SAMPLE_ZEEK, '--detector', 'qradar-t1071', '--min-score', '0.5');

    expect(beacon.code).toBe(1);
    expect(beacon.stderr).toContain('--ports applies to --detector qradar-t1071 only');
    expect(qradar.code).toBe(1);
    expect(qradar.stderr).toContain('--min-score applies to --detector beacon only');
  });

  test('--json and --csv together exit 1', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--json', '--csv');

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/cannot be used with/);
  });

  test('--json writes one array ranked by score', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--json');
    const findings = JSON.parse(outcome.stdout) as Array<Record<string, unknown>>;

    expect(outcome.code).toBe(0);
    expect(findings[0]).toMatchObject({ rank: 1, sourceip: '10.20.1.15', destinationport: 443 });
    expect(findings.map((finding) => finding.rank)).toEqual(findings.map((_, index) => index + 1));
    expect(outcome.stderr).toMatch(/2 files \(2 loaded, 0 ignored\), [\d,]+ events read, 0 lines skipped/);
  });

  test('--ndjson writes one finding per line', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--ndjson', '--quiet');
    const lines = outcome.stdout.trim().split('\n');

    expect(outcome.stderr).toBe('');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('score');
  });

  test('--csv writes a header and flat rows', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--csv', '--top', '3');
    const [header, ...rows] = outcome.stdout.trim().split('\n');

    expect(header).toMatch(
      /^rank,score,timingScore,alert,category,key,label,sourceip,destinationip,destinationport,servername/,
    );
    expect(rows).toHaveLength(3);
  });

  test('table output names the top beacon', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--top', '2');

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('203.0.113.50');
    expect(outcome.stdout).toContain('period ± jitter');
    expect(outcome.stdout).toMatch(/more findings; use --top 0/);
  });

  test('import then scan --db gives the same findings', async () => {
    const db = join(workdir, 'sample.duckdb');
    const imported = await beaconhunt('import', SAMPLE_ZEEK, '--db', db);
    const saved = await beaconhunt('scan', '--db', db, '--json');
    const direct = await beaconhunt('scan', SAMPLE_ZEEK, '--json');

    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/events now in/);
    expect(JSON.parse(saved.stdout)).toEqual(JSON.parse(direct.stdout));
  });

  test('importing the same files twice adds nothing', async () => {
    const db = join(workdir, 'twice.duckdb');
    const first = await beaconhunt('import', SAMPLE_ZEEK, '--db', db);
    const second = await beaconhunt('import', SAMPLE_ZEEK, '--db', db);
    const eventsAfter = (stderr: string): string | undefined => /([\d,]+) events now in/.exec(stderr)?.[1];

    expect(second.code).toBe(0);
    expect(second.stderr).toContain('already in this dataset');
    expect(eventsAfter(second.stderr)).toBe(eventsAfter(first.stderr));
  });

  test('--strict fails on a malformed line with file:line', async () => {
    const log = join(workdir, 'conn.log');
    const header = [
      '#separator \\x09',
      '#path\tconn',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto',
    ];
    await writeFile(
      log,
      [...header, '1700000000.0\tC1\t10.0.0.1\t5000\t192.0.2.1\t443\ttcp', 'garbage', ''].join('\n'),
    );

    const lenient = await beaconhunt('scan', log, '--json');
    const strict = await beaconhunt('scan', log, '--strict');

    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toContain('1 line skipped');
    expect(lenient.stderr).toContain(`${log}:5`);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`${log}:5: wrong field count`);
  });

  test('qradar-t1071 on the QRadar sample', async () => {
    const sample = join(REPOSITORY_ROOT, 'samples', 'qradar', 'qradar-results.json');
    const outcome = await beaconhunt('scan', sample, '--detector', 'qradar-t1071', '--json');
    const rows = JSON.parse(outcome.stdout) as Array<Record<string, unknown>>;

    expect(outcome.code).toBe(0);
    // The rule flags both beacons, and also the random browsing and mail traffic: its mean-gap test
    // cannot tell them apart. DNS to the internal resolver and NTP (not in the port list) are dropped.
    expect(rows.map((row) => `${row.sourceip}>${row.destinationip}:${row.destinationport}`)).toEqual([
      '10.20.1.15>203.0.113.50:443',
      '10.20.1.30>192.0.2.80:443',
      '10.20.1.22>198.51.100.7:8080',
      '10.20.1.31>192.0.2.25:143',
    ]);
    expect(Object.keys(rows[0]!)).toEqual([
      'sourceip',
      'destinationip',
      'destinationport',
      'userName',
      'ConnectionCount',
      'FirstSeenEpochMs',
      'LastSeenEpochMs',
      'AvgIntervalMs',
    ]);
    expect(rows[0]!.userName).toBe('CORP\\jdoe');
  });

  test('scan --db of a missing dataset exits 1', async () => {
    const outcome = await beaconhunt('scan', '--db', join(workdir, 'never-imported.duckdb'));

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('no such dataset; create it with `beaconhunt import FILES --db');
  });

  test('scan --db with --local-net leaves the dataset unchanged', async () => {
    const db = join(workdir, 'directions.duckdb');
    await beaconhunt('import', SAMPLE_ZEEK, '--db', db);
    const rule = (...extra: string[]) =>
      beaconhunt('scan', '--db', db, '--detector', 'qradar-t1071', '--json', ...extra);

    const before = JSON.parse((await rule()).stdout) as unknown[];
    // With only one host local, the other sources' traffic is no longer outbound.
    const narrowed = JSON.parse((await rule('--local-net', '10.20.1.15/32')).stdout) as unknown[];
    const after = JSON.parse((await rule()).stdout) as unknown[];

    expect(narrowed.length).toBeLessThan(before.length);
    expect(after).toEqual(before);
  });

  test('--window 0s exits 1', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--window', '0s');

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('--window must be longer than zero');
  });

  test('--csv with no findings still writes the header', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--csv', '--now', '2020-01-01');

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^rank,score,timingScore,alert,category,key,label,sourceip,/);
    expect(outcome.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('--version prints the package version', async () => {
    const outcome = await beaconhunt('--version');
    const manifest = JSON.parse(await readFile(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };

    expect(outcome.stdout.trim()).toBe(manifest.version);
  });

  test('formats lists each format with an example', async () => {
    const text = await beaconhunt('formats');
    const listed = JSON.parse((await beaconhunt('formats', '--json')).stdout) as Array<{ id: string }>;

    expect(text.code).toBe(0);
    expect(text.stdout).toContain('zeek-tsv');
    expect(text.stdout).toContain('recognised by:');
    expect(listed.map((format) => format.id)).toEqual(
      expect.arrayContaining(['zeek-tsv', 'qradar-json', 'sysmon-xml']),
    );
  });

  test('- reads standard input', async () => {
    const conn = await readFile(join(SAMPLE_ZEEK, 'conn.log'));
    const child = spawn(process.execPath, [BIN, 'scan', '-', '--json'], { cwd: REPOSITORY_ROOT });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.end(conn);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const findings = JSON.parse(Buffer.concat(stdout).toString('utf8')) as Array<Record<string, unknown>>;

    expect(code).toBe(0);
    expect(findings[0]).toMatchObject({ sourceip: '10.20.1.15', destinationport: 443 });
    expect(Buffer.concat(stderr).toString('utf8')).toContain('1 file (1 loaded, 0 ignored)');
  });

  test('--format reads files as the named format', async () => {
    const renamed = join(workdir, 'conn-export.txt');
    await writeFile(renamed, await readFile(join(SAMPLE_ZEEK, 'conn.log')));

    const forced = await beaconhunt('scan', renamed, '--format', 'zeek-tsv', '--json', '--top', '1');
    const unknown = await beaconhunt('scan', renamed, '--format', 'nope');
    const wrong = await beaconhunt('scan', renamed, '--format', 'qradar-json');

    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)[0]).toMatchObject({ sourceip: '10.20.1.15' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown format "nope"; run `beaconhunt formats`');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('conn-export.txt: not JSON (first line "#separator');
    expect(wrong.stderr).toContain('check the --format value');
    expect(wrong.stderr).not.toContain('Invalid Input Error');
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('--now before every event finds nothing', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--now', '2020-01-01T00:00:00Z', '--json');

    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toEqual([]);
  });

  test('--show-suppressed: hidden finding with its rule, not an alert', async () => {
    const table = await beaconhunt('scan', SAMPLE_ZEEK, '--show-suppressed', '--no-progress');
    const json = await beaconhunt('scan', SAMPLE_ZEEK, '--show-suppressed', '--json', '-q');
    const hidden = (
      JSON.parse(json.stdout) as { suppression: { rule: string } | null; alert: boolean }[]
    ).filter((finding) => finding.suppression !== null);

    expect(table.stdout).toContain('rule:    profile ntp');
    expect(hidden.map((finding) => [finding.suppression?.rule, finding.alert])).toEqual([
      ['profile ntp', false],
    ]);
  });

  test('tuning: --no-tuning under another detector exits 1', async () => {
    const outcome = await beaconhunt('scan', SAMPLE_ZEEK, '--detector', 'qradar-t1071', '--no-tuning');

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('--no-tuning applies to --detector beacon only');
  });

  test('--intel reports skipped list lines with file:line, and --strict fails on them', async () => {
    const list = join(workdir, 'intel.txt');
    await writeFile(list, '203.0.113.5\n10.0.0.0/33\nexample.com\n');
    const lenient = await beaconhunt('scan', SAMPLE_ZEEK, '--intel', list, '--json');
    const strict = await beaconhunt('scan', SAMPLE_ZEEK, '--intel', list, '--strict');

    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toContain(`1 intel line skipped:\n  ${list}:2: invalid CIDR block`);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`${list}:2:`);
  });
});

/** Counts the events of a saved dataset, opening it read-only. */
async function countEvents(db: string): Promise<number> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll('SELECT count(*) AS events FROM events');
    connection.closeSync();
    return Number(reader.getRowObjectsJS()[0]?.events);
  } finally {
    instance.closeSync();
  }
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Lists every file and folder under `folder`, as paths relative to it. */
async function listTree(folder: string): Promise<string[]> {
  return readdir(folder, { recursive: true });
}

/** Writes `count` Squid access log lines, gzip-compressed, so that the TypeScript reader stages them. */
async function writeSquidLog(path: string, count: number): Promise<void> {
  function* chunks(): Generator<string> {
    const lines: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const time = (1_713_520_000 + index * 0.01).toFixed(3);
      lines.push(
        `${time}    120 10.1.${index % 200}.${index % 250} TCP_TUNNEL/200 5120 CONNECT c${index % 500}.example.net:443 - HIER_DIRECT/203.0.113.${index % 250} -\n`,
      );
      if (lines.length === 10_000) yield lines.splice(0).join('');
    }
    yield lines.join('');
  }
  await pipeline(Readable.from(chunks()), createGzip({ level: 1 }), createWriteStream(path));
}

/** Polls `check` every 20 ms until it returns true; fails after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function finished(child: ChildProcess): Promise<Finished> {
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stderr: Buffer.concat(stderr).toString('utf8') }),
    ),
  );
}

describe('beaconhunt CLI on interrupt', () => {
  let folder: string;
  let logs: string;
  let baseDataset: string;
  let baseEvents: number;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'beaconhunt-cli-interrupt-'));
    // Files load in name order, each committed on its own: the small Zeek log is in the dataset before
    // the large Squid log starts, so an import stopped during the Squid log must delete it again. The
    // Zstandard file is unpacked into a temporary folder, and the Squid reader stages events in one.
    logs = join(folder, 'logs');
    await mkdir(logs);
    await copyFile(join(SAMPLE_ZEEK, 'conn.log'), join(logs, 'a-conn.log'));
    await copyFile(
      join(REPOSITORY_ROOT, 'test', 'fixtures', 'containers', 'conn.log.zst'),
      join(logs, 'b-conn.log.zst'),
    );
    // An estimate from 1,000,000 lines in 7.7 s on a 2-core machine: about 4.5 s to import.
    await writeSquidLog(join(logs, 'c-access.log.gz'), 600_000);
    baseDataset = join(folder, 'base.duckdb');
    const imported = await beaconhunt(
      'import',
      join(REPOSITORY_ROOT, 'samples', 'qradar'),
      '--db',
      baseDataset,
    );
    expect(imported.code).toBe(0);
    baseEvents = await countEvents(baseDataset);
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('import stopped by %s is undone', async (signal, exitCode) => {
    const db = join(folder, `${signal}.duckdb`);
    await copyFile(baseDataset, db);
    const privateTemp = await mkdtemp(join(folder, `tmp-${signal}-`));
    const child = spawn(process.execPath, [BIN, 'import', logs, '--db', db], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, TMPDIR: privateTemp },
    });
    const outcome = finished(child);

    // A staging folder means the Squid log is loading, after the two files before it were committed.
    await waitFor('the Squid log to start loading', async () =>
      (await listTree(privateTemp)).some((path) => /beaconhunt-events-/.test(path)),
    );
    child.kill(signal);
    const { code, stderr } = await outcome;

    expect(code).toBe(exitCode);
    expect(stderr).toBe('beaconhunt: interrupted; the dataset is as it was before this run\n');
    expect(await countEvents(db)).toBe(baseEvents);
    expect(await listTree(privateTemp)).toEqual([]);
  });

  test('scan --db stopped during its import is undone', async () => {
    const db = join(folder, 'scan.duckdb');
    await copyFile(baseDataset, db);
    const privateTemp = await mkdtemp(join(folder, 'tmp-scan-'));
    const child = spawn(process.execPath, [BIN, 'scan', logs, '--db', db, '--json'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, TMPDIR: privateTemp },
    });
    const outcome = finished(child);

    await waitFor('the Squid log to start loading', async () =>
      (await listTree(privateTemp)).some((path) => /beaconhunt-events-/.test(path)),
    );
    child.kill('SIGINT');
    const { code, stderr } = await outcome;

    expect(code).toBe(130);
    expect(stderr).toContain('beaconhunt: interrupted; the dataset is as it was before this run');
    expect(await countEvents(db)).toBe(baseEvents);
    expect(await listTree(privateTemp)).toEqual([]);
  });

  test('aql --db stopped during its import is undone', async () => {
    const db = join(folder, 'aql.duckdb');
    await copyFile(baseDataset, db);
    const privateTemp = await mkdtemp(join(folder, 'tmp-aql-'));
    const query = 'SELECT sourceip, COUNT(*) FROM events GROUP BY sourceip LAST 24 HOURS';
    const child = spawn(process.execPath, [BIN, 'aql', query, logs, '--db', db], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, TMPDIR: privateTemp },
    });
    const outcome = finished(child);

    await waitFor('the Squid log to start loading', async () =>
      (await listTree(privateTemp)).some((path) => /beaconhunt-events-/.test(path)),
    );
    child.kill('SIGTERM');
    const { code, stderr } = await outcome;

    expect(code).toBe(143);
    expect(stderr).toContain('beaconhunt: interrupted; the dataset is as it was before this run');
    expect(await countEvents(db)).toBe(baseEvents);
    expect(await listTree(privateTemp)).toEqual([]);
  });
});

describe('beaconhunt CLI on a read-only dataset', () => {
  let folder: string;
  let dataset: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'beaconhunt-cli-read-only-'));
    dataset = join(folder, 'case.duckdb');
    const imported = await beaconhunt('import', SAMPLE_ZEEK, '--db', dataset);
    expect(imported.code).toBe(0);
  });

  afterAll(async () => {
    await chmod(folder, 0o755);
    await rm(folder, { recursive: true, force: true });
  });

  test('scan --db shares the dataset with another reader', async () => {
    const before = await sha256(dataset);
    const expected = JSON.parse((await beaconhunt('scan', SAMPLE_ZEEK, '--json')).stdout) as unknown[];
    // The holder opens the dataset read-only, as a scan does; a run that opens it for writing fails.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const instance = await DuckDBInstance.create(process.argv[1], { access_mode: 'READ_ONLY' });
         await instance.connect();
         process.stdout.write('open\\n');
         setInterval(() => {}, 1000);`,
        dataset,
      ],
      { cwd: REPOSITORY_ROOT },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', () => resolve());
        holder.on('exit', (code) => reject(new Error(`the process holding the dataset exited with ${code}`)));
      });

      const [first, second] = await Promise.all([
        beaconhunt('scan', '--db', dataset, '--json'),
        beaconhunt('scan', '--db', dataset, '--json', '--local-net', '10.20.1.15/32'),
      ]);
      const blocked = await beaconhunt('import', join(REPOSITORY_ROOT, 'samples', 'qradar'), '--db', dataset);

      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual(expected);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).not.toEqual([]);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('cannot open the dataset');
    } finally {
      holder.kill();
    }
    expect(await sha256(dataset)).toBe(before);
  });

  // chmod does not stop root, so a read-only file can only be tested as another user.
  test.skipIf(process.getuid?.() === 0)('scan --db reads a read-only file', async () => {
    const copy = join(folder, 'locked', 'case.duckdb');
    await mkdir(join(folder, 'locked'));
    await copyFile(dataset, copy);
    await chmod(copy, 0o444);
    await chmod(join(folder, 'locked'), 0o555);
    try {
      const outcome = await beaconhunt('scan', '--db', copy, '--json');

      expect(outcome.code).toBe(0);
      expect(JSON.parse(outcome.stdout)).not.toEqual([]);
    } finally {
      await chmod(join(folder, 'locked'), 0o755);
    }
  });

  test('scan --db of a DuckDB file without events exits 1', async () => {
    const other = join(folder, 'other.duckdb');
    const instance = await DuckDBInstance.create(other);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE notes (text VARCHAR)');
    connection.closeSync();
    instance.closeSync();

    const outcome = await beaconhunt('scan', '--db', other);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('not a beaconhunt dataset (it has no events table)');
  });
});
