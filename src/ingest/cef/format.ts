/** The CEF input format: ArcSight Common Event Format lines, with or without a syslog header. */
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { firstLineIsEvent, loadEventLines } from '../keyvalue/load.js';
import type { FileSample } from '../sniff.js';
import { CEF_FORMAT_ID, cefLineParser } from './fields.js';
import { CEF_MARKER } from './parse.js';

export const cefFormat: InputFormat = {
  id: CEF_FORMAT_ID,
  description: 'ArcSight CEF events, one per line, with or without a syslog header',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return firstLineIsEvent(sample, CEF_MARKER);
  },

  load(context: LoadContext): Promise<LoadResult> {
    return loadEventLines(context, 'CEF', (referenceMs) => cefLineParser(context.sample.path, referenceMs));
  },
};
