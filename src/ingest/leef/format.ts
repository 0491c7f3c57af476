/** The LEEF input format: IBM Log Event Extended Format 1.0 and 2.0 lines, with or without a syslog header. */
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { firstLineIsEvent, loadEventLines } from '../keyvalue/load.js';
import type { FileSample } from '../sniff.js';
import { LEEF_FORMAT_ID } from './fields.js';
import { LEEF_MARKER } from './parse.js';

export const leefFormat: InputFormat = {
  id: LEEF_FORMAT_ID,
  description: 'IBM LEEF 1.0 and 2.0 events, one per line, with or without a syslog header',
  recognisedBy: 'a first non-blank line whose event starts "LEEF:" after an optional syslog header',
  example:
    '<134>Apr 19 10:00:00 fw01 LEEF:2.0|Vendor|Firewall|1.0|allow|^|src=10.1.2.3^dst=203.0.113.7^srcPort=51000^dstPort=443^proto=TCP^usrName=alice^devTime=1713520800000',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return firstLineIsEvent(sample, LEEF_MARKER);
  },

  load(context: LoadContext): Promise<LoadResult> {
    return loadEventLines(context, 'LEEF', LEEF_FORMAT_ID);
  },
};
