/**
 * `beaconhunt tune`: proposes allowlist entries from the data, for a person to review. It prints them as
 * YAML to paste into the config; it writes a file only with --write, and never over an existing one.
 */
import { writeFile } from 'node:fs/promises';

import { Command } from 'commander';

import { loadConfigWithOrigin } from '../config.js';
import { InputError } from '../errors.js';
import { renderProposals } from '../tune/propose.js';
import { runTune } from '../tune/run.js';
import { collect, parseFraction, parseInteger } from './parse.js';

interface TuneFlags {
  db?: string;
  config?: string;
  localNet?: string[];
  minHosts: number;
  minShare: number;
  minConnections?: number;
  json?: boolean;
  write?: string;
  quiet?: boolean;
}

export function tuneCommand(): Command {
  return new Command('tune')
    .description(
      'Propose allowlist entries: periodic destinations that most hosts contact (printed as YAML to review)',
    )
    .argument('[paths...]', 'log files or folders, as for scan')
    .option('--db <file>', 'DuckDB file: import the paths into it, or read it when no paths are given')
    .option('--config <file>', 'YAML configuration file; what it already suppresses is not proposed again')
    .option('--local-net <cidr>', 'local network, repeatable; replaces the defaults', collect)
    .option(
      '--min-hosts <n>',
      'distinct sources a destination needs (default 3)',
      parseInteger('--min-hosts', 1),
      3,
    )
    .option(
      '--min-share <x>',
      'share of all local sources (0–1) a destination needs (default 0.5)',
      parseFraction('--min-share'),
      0.5,
    )
    .option(
      '--min-connections <n>',
      'distinct connection times a series needs to be scored (default 10)',
      parseInteger('--min-connections', 3),
    )
    .option('--json', 'write the proposals as JSON instead of YAML')
    .option('--write <file>', 'also write the YAML to this new file; an existing file is never overwritten')
    .option('-q, --quiet', 'do not write the summary to stderr')
    .action(async (paths: string[], flags: TuneFlags) => runTuneCommand(paths, flags));
}

async function runTuneCommand(paths: string[], flags: TuneFlags): Promise<void> {
  const loaded = flags.config !== undefined ? await loadConfigWithOrigin(flags.config) : undefined;
  const localNetworks =
    flags.localNet !== undefined && flags.localNet.length > 0
      ? flags.localNet
      : loaded?.config.local_networks;
  const result = await runTune({
    paths,
    minHosts: flags.minHosts,
    minShare: flags.minShare,
    ...(flags.db !== undefined ? { db: flags.db } : {}),
    ...(loaded !== undefined ? { config: loaded.config, origin: loaded.origin } : {}),
    ...(localNetworks !== undefined ? { localNetworks } : {}),
    ...(flags.minConnections !== undefined
      ? { detectorOptions: { minConnections: flags.minConnections } }
      : {}),
  });

  const yaml = renderProposals(result.proposals);
  if (flags.json) process.stdout.write(`${JSON.stringify(result.proposals, null, 2)}\n`);
  else if (yaml === '') process.stdout.write('# No allowlist entries to propose.\n');
  else process.stdout.write(yaml);

  if (flags.write !== undefined && yaml !== '') {
    try {
      await writeFile(flags.write, yaml, { flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const hint =
        code === 'EEXIST'
          ? 'it exists, and tune never overwrites a file; choose a new name'
          : 'check the path';
      throw new InputError(
        `${flags.write}: cannot write the proposals (${code ?? String(error)}); ${hint}`,
        flags.write,
      );
    }
  }
  if (!flags.quiet) {
    process.stderr.write(
      `beaconhunt: ${result.findings} beacon findings, ${result.alreadySuppressed.length} already suppressed, ` +
        `${result.proposals.length} proposals (at least ${flags.minHosts} of ${result.totalSources} sources and ` +
        `${Math.round(flags.minShare * 100)}% of them)\n`,
    );
  }
}
