/**
 * Sysmon network connections (Event ID 3) as Windows event XML: `<Event>` elements one per line,
 * concatenated, or inside an `<Events>` root, as `wevtutil qe /f:xml` and Get-WinEvent's ToXml() write
 * them. The file is streamed: each event element is cut out of the text, parsed with saxes and mapped in
 * TypeScript, and events are staged for a bulk load. So memory keeps one event's text, not the whole
 * file. A skipped event is reported at the line where its `<Event` tag starts.
 */

import { SaxesParser } from 'saxes';

import type { ConnectionEvent } from '../../model/event.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { reportRejects } from '../lines.js';
import { KEPT_EXCERPT_CHARS, RejectBuffer, textChunks } from '../text-stream.js';
import type { FileSample } from '../sniff.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';
import {
  isSysmonSource,
  NETWORK_CONNECT_EVENT_ID,
  networkConnectEvent,
  type NetworkConnectFields,
  sysmonLoadResult,
} from './fields.js';
import { OutsideText } from './outside-text.js';
import { countOf } from '../../text/plural.js';

const FORMAT_ID = 'sysmon-xml';

const WINDOWS_EVENT_NAMESPACE = 'http://schemas.microsoft.com/win/2004/08/events/event';

/**
 * Maximum length of an event element, in characters. Sysmon events are a few kilobytes. The bound stops a
 * file without closing tags from being buffered whole, and keeps the rescans of a pending element cheap.
 */
const MAX_EVENT_CHARS = 1_048_576;

/** `<Event` and a character that may end an element name, so `<Events>`, `<EventData>` and `<EventID>` miss. */
const EVENT_START = '<Event[\\s>]';
const EVENT_END = '</Event>';

/** A start tag split across two chunks is at most this long before its name is complete. */
const START_TAG_CHARS = '<Event '.length;

const UNTERMINATED = 'unterminated <Event> element';

export type ScannedEvent =
  | { line: number; xml: string }
  | { line: number; reject: string; excerpt: string }
  | { line: number; otherSyslogLine: true };

/**
 * Cuts `<Event>` elements out of a stream of text and yields each with the 1-based line of its start tag.
 * The text between elements is read by OutsideText, and its lines that are not passed over silently are
 * yielded too. An element whose `</Event>` never comes before the next `<Event` or the end of the text is
 * yielded as a reject.
 *
 * NOTE: the scanner does not parse the XML around the elements, so an `<Event>` inside a comment or a
 * CDATA section is read as an event.
 */
export async function* scanEventElements(chunks: AsyncIterable<string>): AsyncGenerator<ScannedEvent> {
  const eventStart = new RegExp(EVENT_START, 'g');
  const outside = new OutsideText();
  let buffer = '';
  // Line number of buffer[countedTo], and how far into the buffer newlines have been counted.
  let line = 1;
  let countedTo = 0;
  const lineAt = (index: number): number => {
    let newline = buffer.indexOf('\n', countedTo);
    while (newline !== -1 && newline < index) {
      line += 1;
      newline = buffer.indexOf('\n', newline + 1);
    }
    countedTo = Math.max(countedTo, index);
    return line;
  };
  const dropBefore = (index: number): void => {
    lineAt(index);
    buffer = buffer.slice(index);
    countedTo = 0;
  };
  // True while passing over the rest of an element already rejected as too long.
  let inLongElement = false;

  for await (const chunk of chunks) {
    buffer += chunk;
    let position = 0;
    for (;;) {
      if (inLongElement) {
        eventStart.lastIndex = position;
        const next = eventStart.exec(buffer);
        const end = buffer.indexOf(EVENT_END, position);
        if (end !== -1 && (next === null || end < next.index)) {
          position = end + EVENT_END.length;
        } else if (next !== null) {
          position = next.index;
        } else {
          position = Math.max(position, buffer.length - EVENT_END.length);
          break;
        }
        inLongElement = false;
        outside.resume(lineAt(position));
        continue;
      }

      eventStart.lastIndex = position;
      const start = eventStart.exec(buffer);
      if (start === null) {
        // The last characters may be the start of a tag that the next chunk completes.
        const keptFrom = Math.max(position, buffer.length - START_TAG_CHARS);
        yield* outside.add(buffer.slice(position, keptFrom));
        position = keptFrom;
        break;
      }
      // When the element is not complete yet, the scan stops at its start tag and comes back to it with the
      // next chunk. The outside text before it is then empty and adds nothing.
      yield* outside.add(buffer.slice(position, start.index));
      yield* outside.endBeforeEvent();
      position = start.index;

      const next = eventStart.exec(buffer);
      const end = buffer.indexOf(EVENT_END, start.index);
      if (end !== -1 && (next === null || end < next.index)) {
        const xml = buffer.slice(start.index, end + EVENT_END.length);
        yield { line: lineAt(start.index), xml };
        position = end + EVENT_END.length;
        outside.resume(lineAt(position));
      } else if (next !== null) {
        yield {
          line: lineAt(start.index),
          reject: UNTERMINATED,
          excerpt: buffer.slice(start.index, next.index),
        };
        position = next.index;
        outside.resume(lineAt(position));
      } else if (buffer.length - start.index > MAX_EVENT_CHARS) {
        const excerpt = buffer.slice(start.index, start.index + KEPT_EXCERPT_CHARS);
        yield {
          line: lineAt(start.index),
          reject: `event longer than ${MAX_EVENT_CHARS} characters`,
          excerpt,
        };
        inLongElement = true;
        position = start.index + 1;
      } else {
        break;
      }
    }
    dropBefore(position);
  }

  if (inLongElement) return;
  eventStart.lastIndex = 0;
  const start = eventStart.exec(buffer);
  if (start === null) {
    yield* outside.add(buffer);
    yield* outside.end();
    return;
  }
  yield* outside.add(buffer.slice(0, start.index));
  yield* outside.endBeforeEvent();
  yield { line: lineAt(start.index), reject: UNTERMINATED, excerpt: buffer.slice(start.index) };
}

/** The parts of one `<Event>` element that the mapping uses. */
interface EventElement {
  eventId: string | null;
  provider: string | null;
  channel: string | null;
  computer: string | null;
  /** The named `<Data Name="...">` values, trimmed, without empty ones. */
  data: Map<string, string>;
}

/** Element name without a namespace prefix. */
function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/**
 * Reads one `<Event>` element with saxes, a strict XML parser that fails on any well-formedness error;
 * returns null for XML that is not well formed. A streaming parser that keeps only the fields above
 * took about a fifth of the time that building a whole object tree did.
 */
function readEventElement(xml: string): EventElement | null {
  const element: EventElement = {
    eventId: null,
    provider: null,
    channel: null,
    computer: null,
    data: new Map(),
  };
  const parser = new SaxesParser();
  const path: string[] = [];
  let text = '';
  let dataName: string | null = null;
  let wellFormed = true;

  parser.on('error', () => {
    wellFormed = false;
  });
  parser.on('opentag', (tag) => {
    path.push(localName(tag.name));
    text = '';
    const where = path.join('/');
    if (where === 'Event/EventData/Data') dataName = tag.attributes['Name'] ?? null;
    else if (where === 'Event/System/Provider') element.provider = tag.attributes['Name'] ?? null;
  });
  parser.on('text', (chunk) => {
    text += chunk;
  });
  parser.on('cdata', (chunk) => {
    text += chunk;
  });
  parser.on('closetag', () => {
    keepValue(element, path.join('/'), text.trim(), dataName);
    path.pop();
    text = '';
  });

  try {
    parser.write(xml).close();
  } catch {
    return null;
  }
  return wellFormed ? element : null;
}

/** Keeps the text of an element that closed at `where` (a path of local names) when the mapping uses it. */
function keepValue(element: EventElement, where: string, value: string, dataName: string | null): void {
  if (where === 'Event/System/EventID') element.eventId = value;
  else if (where === 'Event/System/Channel') element.channel = value;
  else if (where === 'Event/System/Computer') element.computer = value;
  else if (where === 'Event/EventData/Data' && dataName !== null && value !== '')
    element.data.set(dataName, value);
}

export type ParsedEvent = { event: ConnectionEvent } | { reject: string } | { ignored: true };

/** Parses one `<Event>` element and maps it when it is a Sysmon Event ID 3. */
export function parseEventElement(xml: string, sourcefile: string, sourceline: number): ParsedEvent {
  const element = readEventElement(xml);
  if (element === null) return { reject: 'malformed XML' };
  if (
    Number(element.eventId) !== NETWORK_CONNECT_EVENT_ID ||
    !isSysmonSource(element.provider, element.channel)
  ) {
    return { ignored: true };
  }

  const { data } = element;
  const fields: NetworkConnectFields = {
    UtcTime: data.get('UtcTime') ?? null,
    SourceIp: data.get('SourceIp') ?? null,
    SourcePort: data.get('SourcePort') ?? null,
    DestinationIp: data.get('DestinationIp') ?? null,
    DestinationPort: data.get('DestinationPort') ?? null,
    Protocol: data.get('Protocol') ?? null,
    User: data.get('User') ?? null,
    Image: data.get('Image') ?? null,
    DestinationHostname: data.get('DestinationHostname') ?? null,
    Computer: element.computer,
  };
  const mapped = networkConnectEvent(fields, FORMAT_ID, sourcefile, sourceline);
  return 'reject' in mapped ? mapped : { event: mapped };
}

/** Reports whether a syslog line carries a Sysmon event: the XML starts after the header, and names a Sysmon provider. */
function isSyslogWrappedSysmon(line: string): boolean {
  const start = line.search(new RegExp(EVENT_START));
  return start > 0 && line.includes('<EventID>') && /Sysmon/.test(line);
}

/** Adds the count of ignored syslog lines of other programs to a load result's message. */
function withOtherSyslogLines(result: LoadResult, count: number): LoadResult {
  if (count === 0) return result;
  const note = `${countOf(count, 'syslog line')} from other programs ignored`;
  return { ...result, message: result.message === undefined ? note : `${result.message}; ${note}` };
}

export const sysmonXmlFormat: InputFormat = {
  id: FORMAT_ID,
  description:
    'Sysmon Event ID 3 in Windows event XML (wevtutil, Get-WinEvent ToXml), and Sysmon for Linux syslog lines',
  recognisedBy: 'an <Event> element in the Windows event namespace, or with <System> and <EventID>',
  example:
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>3</EventID></System><EventData><Data Name="UtcTime">2024-04-19 10:00:00.000</Data><Data Name="Image">C:\\Windows\\System32\\svchost.exe</Data><Data Name="Protocol">tcp</Data><Data Name="SourceIp">10.0.0.5</Data><Data Name="SourcePort">53396</Data><Data Name="DestinationIp">203.0.113.7</Data><Data Name="DestinationPort">443</Data></EventData></Event>',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const text = sample.text.replace(/^\uFEFF/, '').trimStart();
    // Sysmon for Linux writes each event as XML after a syslog header; the scanner passes over the header.
    const firstLine = sample.lines.find((line) => line.trim() !== '') ?? '';
    if (!text.startsWith('<') && !isSyslogWrappedSysmon(firstLine)) return false;
    if (!new RegExp(EVENT_START).test(text)) return false;
    return text.includes(WINDOWS_EVENT_NAMESPACE) || (/<System>/.test(text) && /<EventID[\s>]/.test(text));
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { store, sample, report } = context;
    // Only --format brings a file here without an event element, since detection requires one.
    if (!new RegExp(EVENT_START).test(sample.text)) {
      throw wrongFormatError(
        sample,
        FORMAT_ID,
        `no <Event> element in the first 64 KB (first line ${quotedFirstLine(sample)})`,
        'Windows event XML and Sysmon for Linux syslog lines',
      );
    }
    const rejects = new RejectBuffer(store, 'sysmon_xml_rejects');
    await rejects.open();
    const sink = store.openEventSink(sample.path);
    try {
      let ignored = 0;
      let otherSyslogLines = 0;
      for await (const scanned of scanEventElements(textChunks(sample))) {
        if ('reject' in scanned) {
          await rejects.add(scanned.line, scanned.reject, scanned.excerpt);
          continue;
        }
        if ('otherSyslogLine' in scanned) {
          otherSyslogLines += 1;
          continue;
        }
        // The decoder puts U+FFFD in place of bytes that are not valid UTF-8; such an event is skipped, as
        // such a line is in every other format.
        if (scanned.xml.includes('\uFFFD')) {
          await rejects.add(scanned.line, 'invalid UTF-8', scanned.xml);
          continue;
        }
        const parsed = parseEventElement(scanned.xml, sample.path, scanned.line);
        if ('ignored' in parsed) {
          ignored += 1;
        } else if ('reject' in parsed) {
          await rejects.add(scanned.line, parsed.reject, scanned.xml);
        } else {
          sink.add(parsed.event);
        }
      }
      const events = await sink.finish();
      await rejects.moveToRejects(sample.path);
      const skipped = await reportRejects(store, report, sample.path);
      return withOtherSyslogLines(sysmonLoadResult({ events, skipped, ignored }), otherSyslogLines);
    } finally {
      sink.discard();
      await rejects.close();
    }
  },
};
