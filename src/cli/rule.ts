/**
 * `beaconhunt rule export`: compiles the qradar-t1071 detection with its tuning into a SIEM language
 * (see docs/exports.md). It reads only the config file and flags, never a dataset.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { loadConfig, type BeaconhuntConfig } from '../config.js';
import { InputError, UsageError } from '../errors.js';
import { EXPORT_TARGET_IDS, EXPORT_TARGETS, exportFileName, findTarget } from '../export/index.js';
import { buildRule, DEFAULT_REGULARITY, type BuildRuleOptions } from '../export/model.js';
import { collect, parseInteger, parsePortList, parseWindow } from './parse.js';

interface ExportFlags {
  target: string;
  config?: string;
  ports?: number[];
  window?: number;
  minCount?: number;
  minInterval?: number;
  maxInterval?: number;
  localNet?: string[];
  regularity: boolean;
  minGaps?: number;
  maxGapCv?: number;
  out?: string;
}

function parseCoefficient(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`--max-gap-cv takes a number of at least 0, such as 0.5, got "${text}"`);
  }
  return value;
}

export function ruleCommand(): Command {
  const rule = new Command('rule').description('Export the detection rule to SIEM query languages');
  const exportCommand = new Command('export')
    .description(
      'Compile the qradar-t1071 rule with the config tuning into a SIEM language; writes to stdout unless --out is given',
    )
    .addOption(
      new Option('--target <id>', 'language to write, or "all" for one file per language (needs --out DIR)')
        .choices([...EXPORT_TARGET_IDS, 'all'])
        .makeOptionMandatory(),
    )
    .option('--config <file>', 'YAML configuration file: local networks, source groups and allowlist')
    .option(
      '--ports <list>',
      'destination ports (default 80,443,53,21,25,110,143,8080,8443,1883,5222)',
      parsePortList,
    )
    .option('--window <duration>', 'window the rule searches, such as 24h or 7d (default 24h)', parseWindow)
    .option(
      '--min-count <n>',
      'report groups with more than n connections (default 10)',
      parseInteger('--min-count'),
    )
    .option(
      '--min-interval <ms>',
      'lowest mean gap in ms, inclusive (default 1000)',
      parseInteger('--min-interval'),
    )
    .option(
      '--max-interval <ms>',
      'highest mean gap in ms, inclusive (default 3600000)',
      parseInteger('--max-interval'),
    )
    .option('--local-net <cidr>', 'local network, repeatable; replaces the config and the defaults', collect)
    .option('--no-regularity', 'leave out the regularity test on the gaps between connections')
    .option(
      '--min-gaps <n>',
      `regularity test: gaps between distinct start times a group needs (default ${DEFAULT_REGULARITY.minGaps})`,
      parseInteger('--min-gaps', 2),
    )
    .option(
      '--max-gap-cv <x>',
      `regularity test: highest coefficient of variation of the gaps (default ${DEFAULT_REGULARITY.maxGapCv})`,
      parseCoefficient,
    )
    .option('--out <path>', 'file to write; a folder for --target all (created if missing)')
    .action(async (flags: ExportFlags) => runExport(flags));
  rule.addCommand(exportCommand);

  // The program copies its error prefix and help-after-error line onto the commands it adds. export was
  // created before that copy, so it gets them here too.
  const copyToRule = rule.copyInheritedSettings.bind(rule);
  rule.copyInheritedSettings = (source: Command): Command => {
    copyToRule(source);
    exportCommand.copyInheritedSettings(source);
    return rule;
  };
  return rule;
}

/** Turns the flags into rule options; a flag absent from the command line leaves the default or config value. */
function ruleOptions(flags: ExportFlags): BuildRuleOptions {
  if (flags.window !== undefined && !Number.isFinite(flags.window)) {
    throw new UsageError('rule export needs a finite --window such as 24h; a SIEM rule cannot search "all"');
  }
  if (!flags.regularity && (flags.minGaps !== undefined || flags.maxGapCv !== undefined)) {
    throw new UsageError(
      '--min-gaps and --max-gap-cv set the regularity test; drop them or drop --no-regularity',
    );
  }
  return {
    ...(flags.ports !== undefined ? { ports: flags.ports } : {}),
    ...(flags.window !== undefined ? { windowMs: flags.window } : {}),
    ...(flags.minCount !== undefined ? { minCount: flags.minCount } : {}),
    ...(flags.minInterval !== undefined ? { minIntervalMs: flags.minInterval } : {}),
    ...(flags.maxInterval !== undefined ? { maxIntervalMs: flags.maxInterval } : {}),
    ...(flags.localNet !== undefined && flags.localNet.length > 0 ? { localNetworks: flags.localNet } : {}),
    regularity: flags.regularity
      ? {
          minGaps: flags.minGaps ?? DEFAULT_REGULARITY.minGaps,
          maxGapCv: flags.maxGapCv ?? DEFAULT_REGULARITY.maxGapCv,
        }
      : null,
  };
}

async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(`${path}: cannot write the export (${code}); check the path`, path);
  }
}

async function runExport(flags: ExportFlags): Promise<void> {
  const config: BeaconhuntConfig = flags.config !== undefined ? await loadConfig(flags.config) : {};
  const rule = buildRule(config, ruleOptions(flags));

  if (flags.target === 'all') {
    if (flags.out === undefined) {
      throw new UsageError('--target all writes one file per target; add --out DIR');
    }
    try {
      await mkdir(flags.out, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new InputError(
        `${flags.out}: cannot create the output folder (${code}); check the path`,
        flags.out,
      );
    }
    for (const target of EXPORT_TARGETS) {
      await writeOutput(join(flags.out, exportFileName(target, rule)), target.compile(rule));
    }
    process.stderr.write(`beaconhunt: wrote ${EXPORT_TARGETS.length} exports to ${flags.out}\n`);
    return;
  }

  // commander has checked the choice, so the target exists.
  const target = findTarget(flags.target)!;
  const text = target.compile(rule);
  if (flags.out === undefined) process.stdout.write(text);
  else await writeOutput(flags.out, text);
}
