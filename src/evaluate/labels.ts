/**
 * The labelled series that `beaconhunt eval` scores detectors against: the labels.json that
 * `beaconhunt simulate` writes beside its logs, or ground truth converted from documented captures.
 * The types hold only the fields evaluation reads, so the simulator's richer Labels type (in
 * src/simulate/labels.ts) is assignable to them, and the schema keeps any extra fields it finds.
 */
import { readFile } from 'node:fs/promises';

import { z } from 'zod';

import { InputError } from '../errors.js';
import type { LabelledSeries } from '../simulate/labels.js';

/**
 * One labelled series: the connections of one client to one C2 server or one benign service. The fields
 * that the simulator's series share are taken from its type; ground truth from captures may leave the
 * period, jitter and count unknown. The class of a benign series from a capture is "trap: …".
 */
export type EvalSeries = Pick<
  LabelledSeries,
  | 'id'
  | 'scenario'
  | 'title'
  | 'malicious'
  | 'class'
  | 'sourceip'
  | 'destinationip'
  | 'destinationport'
  | 'servername'
  | 'domain'
  | 'process'
> & {
  destinationips?: string[] | undefined;
  /** Intended or measured period in seconds; null for traffic without one. */
  periodSeconds: number | null;
  jitter: string | null;
  /** Connections in the data, or null where the source does not document a count. */
  events: number | null;
};

export interface EvalLabels {
  generator: string;
  version: number;
  seed: number | null;
  /** Window of the data, ISO 8601 UTC, or null where the source does not state it. */
  start: string | null;
  end: string | null;
  formats: string[];
  series: EvalSeries[];
}

const nullableText = z.string().nullable();

const SeriesSchema = z.looseObject({
  id: z.string().min(1),
  scenario: z.string(),
  title: z.string(),
  malicious: z.boolean(),
  class: z.string().min(1),
  sourceip: z.string().min(1),
  destinationip: nullableText,
  destinationips: z.array(z.string().min(1)).optional(),
  destinationport: z.number().int().min(0).max(65_535).nullable(),
  servername: nullableText,
  domain: nullableText,
  process: nullableText,
  periodSeconds: z.number().nonnegative().nullable(),
  jitter: nullableText,
  events: z.number().int().nonnegative().nullable(),
});

const LabelsSchema = z.looseObject({
  generator: z.string(),
  version: z.literal(1),
  seed: z.number().int().nullable(),
  start: nullableText,
  end: nullableText,
  formats: z.array(z.string()),
  series: z.array(SeriesSchema),
});

/**
 * Validates the text of a labels file.
 *
 * @throws InputError with one line that names the file and the first invalid field, such as
 *   "labels.json: series[2].sourceip: …".
 */
export function parseLabels(text: string, file: string): EvalLabels {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: invalid labels file: ${(error as Error).message.split('\n')[0]}`, file);
  }
  const parsed = LabelsSchema.safeParse(value);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const where = issue === undefined || issue.path.length === 0 ? '' : `${fieldPath(issue.path)}: `;
    throw new InputError(`${file}: invalid labels file: ${where}${issue?.message ?? 'invalid'}`, file);
  }
  const labels = parsed.data as EvalLabels;
  const seen = new Set<string>();
  labels.series.forEach((series, index) => {
    if (seen.has(series.id)) {
      throw new InputError(
        `${file}: invalid labels file: series[${index}].id: duplicate id "${series.id}"; give each series its own id`,
        file,
      );
    }
    seen.add(series.id);
  });
  return labels;
}

/** Reads and validates a labels file; a missing or unreadable file is an InputError that names it. */
export async function readLabels(file: string): Promise<EvalLabels> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(
      `${file}: cannot read the labels file (${code}); pass --labels FILE or write labels.json beside the logs`,
      file,
    );
  }
  return parseLabels(text, file);
}

/** Writes a zod issue path as `series[2].sourceip`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      return index === 0 ? String(part) : `.${String(part)}`;
    })
    .join('');
}
