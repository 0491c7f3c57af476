/** Every input format, in the order they are tried on a file's sample; the first that matches loads it. */
import type { InputFormat } from './format.js';
import { qradarCsvFormat } from './qradar/csv.js';
import { qradarJsonFormat } from './qradar/json.js';
import { sysmonJsonFormat } from './sysmon/json.js';
import { sysmonXmlFormat } from './sysmon/xml.js';
import { zeekJsonFormat } from './zeek/json.js';
import { zeekSummaryFormat, zeekTsvFormat } from './zeek/tsv.js';

export const INPUT_FORMATS: readonly InputFormat[] = [
  zeekTsvFormat,
  zeekJsonFormat,
  zeekSummaryFormat,
  qradarJsonFormat,
  qradarCsvFormat,
  sysmonJsonFormat,
  sysmonXmlFormat,
];

export function detectFormat(sample: Parameters<InputFormat['detect']>[0]): InputFormat | null {
  return INPUT_FORMATS.find((format) => format.detect(sample)) ?? null;
}

export function formatById(id: string): InputFormat | undefined {
  return INPUT_FORMATS.find((format) => format.id === id);
}
