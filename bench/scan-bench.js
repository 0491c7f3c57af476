#!/usr/bin/env node
// Benchmark: `beaconhunt scan` end to end on a generated Zeek conn.log, against DuckDB alone running the
// seed rule's GROUP BY on the same file. Prints a Markdown table row per size; run `npm run build` first.
//
//   npm run bench                                  # 1,000,000 connections
//   npm run bench -- 1000000 5000000 20000000      # several sizes; 20M needs about 2 GB in bench/out
//   BEACONHUNT_MEMORY_LIMIT=4GiB npm run bench     # the scan's DuckDB memory limit (default: see below)
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DuckDBInstance } from '@duckdb/node-api';

import { Random } from '../dist/simulate/random.js';
import { zeekUid } from '../dist/simulate/writers.js';
import { MEMORY_LIMIT_ENV, resolveMemoryLimit } from '../dist/store/duckdb.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((size) => size > 0);
if (sizes.length === 0) sizes.push(1_000_000);

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring',
].join('\n');

/**
 * Writes `count` connections over 24 h: 2 % from 40 beacons with 20 % jitter, the rest random traffic
 * from 2,000 office hosts to 20,000 destinations, so that many pairs reach the scoring stage. Lines go
 * out in batches of 10,000 with backpressure, so memory stays flat whatever the count. The file is
 * written under a temporary name and renamed when complete, so that an interrupted run is not reused.
 */
async function generate(path, count) {
  const random = new Random(42);
  const start = Date.parse('2026-11-02T00:00:00Z') / 1000;
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  out.write(`${HEADER}\n`);
  const beaconEvents = Math.floor(count * 0.02);
  let buffer = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    if (!out.write(`${buffer.join('\n')}\n`)) await new Promise((resolve) => out.once('drain', resolve));
    buffer = [];
  };
  for (let index = 0; index < count; index += 1) {
    let source;
    let destination;
    let ts;
    if (index < beaconEvents) {
      const beacon = index % 40;
      const beat = Math.floor(index / 40);
      source = `10.1.${beacon}.10`;
      destination = `203.0.113.${beacon}`;
      ts = start + beat * (86_400 / (beaconEvents / 40)) * random.between(0.8, 1);
    } else {
      source = `10.2.${random.integer(0, 7)}.${random.integer(1, 250)}`;
      destination = `198.51.${random.integer(0, 79)}.${random.integer(1, 250)}`;
      ts = start + random.between(0, 86_400);
    }
    buffer.push(
      [
        ts.toFixed(6),
        zeekUid(index),
        source,
        random.integer(1024, 65_535),
        destination,
        443,
        'tcp',
        'ssl',
        random.between(0.01, 2).toFixed(6),
        random.integer(200, 2000),
        random.integer(200, 90_000),
        'SF',
      ].join('\t'),
    );
    if (buffer.length === 10_000) await flush();
  }
  await flush();
  await new Promise((resolve) => out.end(resolve));
  renameSync(partial, path);
}

/** Runs a command and returns wall seconds and peak resident memory in MB, read by GNU time. */
function measure(command, args) {
  const started = process.hrtime.bigint();
  const child = spawnSync('/usr/bin/time', ['-f', 'PEAK_KB=%M', command, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${child.stderr}`);
  const output = child.stderr;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = /PEAK_KB=(\d+)/.exec(output)?.[1];
  return { seconds, peakMb: peak ? Number(peak) / 1024 : NaN };
}

async function duckdbSeedRule(path) {
  const started = process.hrtime.bigint();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SELECT "id.orig_h", "id.resp_h", "id.resp_p", count(*) AS n,
      (max(ts) - min(ts)) * 1000 / (count(*) - 1) AS avg_ms
    FROM read_csv('${path}', delim='\t', comment='#', header=false, auto_detect=false,
      columns={'ts':'DOUBLE','uid':'VARCHAR','id.orig_h':'VARCHAR','id.orig_p':'INTEGER','id.resp_h':'VARCHAR',
               'id.resp_p':'INTEGER','proto':'VARCHAR','service':'VARCHAR','duration':'DOUBLE',
               'orig_bytes':'BIGINT','resp_bytes':'BIGINT','conn_state':'VARCHAR'})
    GROUP BY ALL HAVING count(*) > 10 AND avg_ms BETWEEN 1000 AND 3600000`);
  connection.closeSync();
  instance.closeSync();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

if (!existsSync('/usr/bin/time')) {
  console.error('bench: /usr/bin/time not found; install it with `apt-get install time`');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
// The scan child inherits BEACONHUNT_MEMORY_LIMIT; DuckDB alone runs with DuckDB's defaults.
const limit = resolveMemoryLimit(undefined);
const limitSource = process.env[MEMORY_LIMIT_ENV] ? MEMORY_LIMIT_ENV : 'default';
console.log(
  `scan memory limit: ${(limit / 2 ** 30).toFixed(2)} GiB (${limitSource}); load average at start: ${loadavg()
    .map((load) => load.toFixed(2))
    .join(', ')}; ${new Date().toISOString()}`,
);
console.log(
  '| connections | file MB | beaconhunt scan s | s per million | events/s | peak MB | DuckDB seed rule s | ratio |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const size of sizes) {
  const path = join(outDir, `conn-${size}.log`);
  if (!existsSync(path)) await generate(path, size);
  const megabytes = statSync(path).size / 2 ** 20;
  const scanRun = measure(process.execPath, [
    join(root, 'bin', 'beaconhunt.js'),
    'scan',
    path,
    '--json',
    '--quiet',
  ]);
  const floor = await duckdbSeedRule(path);
  console.log(
    `| ${size.toLocaleString('en-US')} | ${megabytes.toFixed(0)} | ${scanRun.seconds.toFixed(2)} | ` +
      `${(scanRun.seconds / (size / 1e6)).toFixed(2)} | ` +
      `${Math.round(size / scanRun.seconds).toLocaleString('en-US')} | ${scanRun.peakMb.toFixed(0)} | ${floor.toFixed(2)} | ` +
      `${(scanRun.seconds / floor).toFixed(2)} |`,
  );
}
