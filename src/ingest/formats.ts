/** Every input format, in the order they are tried on a file's sample; the first that matches loads it. */
import { defenderCsvFormat } from './defender/csv.js';
import { defenderJsonFormat } from './defender/json.js';
import { cefFormat } from './cef/format.js';
import { iptablesFormat } from './firewall/iptables.js';
import { pfsenseFilterlogFormat } from './firewall/pfsense.js';
import type { InputFormat } from './format.js';
import { genericCsvFormat, genericJsonLinesFormat } from './generic/formats.js';
import { leefFormat } from './leef/format.js';
import { nfdumpCsvFormat } from './nfdump/csv.js';
import { paloaltoTrafficFormat } from './paloalto/traffic.js';
import { pcapFormat } from './pcap/format.js';
import { qradarCsvFormat } from './qradar/csv.js';
import { qradarJsonFormat } from './qradar/json.js';
import { squidCommonFormat, squidFormat } from './squid/access.js';
import { suricataEveFormat } from './suricata/eve.js';
import { sysmonJsonFormat } from './sysmon/json.js';
import { sysmonXmlFormat } from './sysmon/xml.js';
import { zeekJsonFormat } from './zeek/json.js';
import { zeekSummaryFormat, zeekTsvFormat } from './zeek/tsv.js';

export const INPUT_FORMATS: readonly InputFormat[] = [
  // First, because a capture is recognised by its magic number and its sample text is binary noise.
  pcapFormat,
  zeekTsvFormat,
  zeekJsonFormat,
  zeekSummaryFormat,
  suricataEveFormat,
  qradarJsonFormat,
  qradarCsvFormat,
  sysmonJsonFormat,
  sysmonXmlFormat,
  paloaltoTrafficFormat,
  nfdumpCsvFormat,
  defenderCsvFormat,
  defenderJsonFormat,
  pfsenseFilterlogFormat,
  iptablesFormat,
  squidFormat,
  squidCommonFormat,
  leefFormat,
  cefFormat,
  // Never detected by content; chosen by --format or for unclaimed files when --map is given.
  genericCsvFormat,
  genericJsonLinesFormat,
];

export function detectFormat(sample: Parameters<InputFormat['detect']>[0]): InputFormat | null {
  return INPUT_FORMATS.find((format) => format.detect(sample)) ?? null;
}

export function formatById(id: string): InputFormat | undefined {
  return INPUT_FORMATS.find((format) => format.id === id);
}
