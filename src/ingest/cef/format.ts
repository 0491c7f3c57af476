/** The CEF input format: ArcSight Common Event Format lines, with or without a syslog header. */
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { firstLineIsEvent, loadEventLines } from '../keyvalue/load.js';
import type { FileSample } from '../sniff.js';
import { CEF_FORMAT_ID } from './fields.js';
import { CEF_MARKER } from './parse.js';

export const cefFormat: InputFormat = {
  id: CEF_FORMAT_ID,
  description: 'ArcSight CEF events, one per line, with or without a syslog header',
  recognisedBy: 'a first non-blank line whose event starts "CEF:" after an optional syslog header',
  example:
    'Apr 19 10:00:00 fw01 CEF:0|Vendor|Firewall|1.0|100|Connection allowed|3|src=10.1.2.3 spt=51000 dst=203.0.113.7 dpt=443 proto=TCP suser=alice rt=1713520800000',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return firstLineIsEvent(sample, CEF_MARKER);
  },

  load(context: LoadContext): Promise<LoadResult> {
    return loadEventLines(context, 'CEF', CEF_FORMAT_ID);
  },
};
