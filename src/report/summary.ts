/**
 * The run summary written to stderr: files, events, skipped lines by reason with file:line samples,
 * ignored and unreadable files, and the time taken.
 */
import type { IngestSummary } from '../ingest/report.js';
import { countOf } from '../text/plural.js';

/** Ignored files listed one by one before the rest are only counted. */
const LISTED_IGNORED_FILES = 5;

export function renderSummary(ingest: IngestSummary | null, events: number, elapsedMs: number): string {
  const seconds = (elapsedMs / 1000).toFixed(1);
  if (ingest === null) return `beaconhunt: ${countOf(events, 'event')} in the saved dataset, ${seconds} s\n`;

  const loaded = ingest.files.filter((file) => file.status === 'loaded').length;
  const ignored = ingest.files.filter((file) => file.status !== 'loaded');
  const lines = [
    `beaconhunt: ${countOf(ingest.files.length, 'file')} (${count(loaded)} loaded, ${count(ignored.length)} ignored), ` +
      `${countOf(ingest.eventsRead, 'event')} read, ${countOf(ingest.linesSkipped, 'line')} skipped, ${seconds} s`,
  ];

  if (ingest.duplicatesDropped > 0) {
    lines.push(
      `  ${countOf(ingest.duplicatesDropped, 'duplicate event')} dropped (the same connection recorded more than once)`,
    );
  }

  const unusedLogs = new Map<string, number>();
  const otherIgnored = [];
  for (const file of ignored) {
    const zeekLog = /^Zeek (\S+) log, not used$/.exec(file.message ?? '');
    if (zeekLog?.[1]) unusedLogs.set(zeekLog[1], (unusedLogs.get(zeekLog[1]) ?? 0) + 1);
    else otherIgnored.push(file);
  }
  if (unusedLogs.size > 0) {
    const kinds = [...unusedLogs.entries()].map(([kind, total]) => `${kind} ${total}`).join(', ');
    lines.push(`  Zeek logs not used by this version: ${kinds}`);
  }
  for (const file of otherIgnored.slice(0, LISTED_IGNORED_FILES))
    lines.push(`  ignored: ${file.message ?? file.path}`);
  if (otherIgnored.length > LISTED_IGNORED_FILES) {
    lines.push(`  ignored: ${otherIgnored.length - LISTED_IGNORED_FILES} more files`);
  }
  const notes = ingest.files.filter(
    (file) => file.status === 'loaded' && file.message !== undefined && !isJoinNote(file.message),
  );
  for (const file of notes.slice(0, LISTED_IGNORED_FILES)) {
    const message = file.message ?? '';
    const prefix = message.includes('truncated') ? 'warning' : 'note';
    lines.push(`  ${prefix}: ${message.startsWith(file.path) ? message : `${file.path}: ${message}`}`);
  }
  if (notes.length > LISTED_IGNORED_FILES) {
    lines.push(`  ${notes.length - LISTED_IGNORED_FILES} more notes on loaded files`);
  }

  for (const [reason, total] of Object.entries(ingest.skippedByReason)) {
    const samples = ingest.samples.filter((sample) => sample.reason === reason);
    const where = samples.map((sample) => `${sample.file}:${sample.line}`).join(', ');
    lines.push(
      `  skipped ${countOf(total, 'line')}: ${reason} (${where}${total > samples.length ? ', …' : ''})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * Zeek ssl.log, http.log and dns.log files report how many records wait to be joined or to name
 * connections. That is not news.
 */
function isJoinNote(message: string): boolean {
  return /^\d+ (ssl|http) records? to join by uid$|^\d+ dns (query|queries) to name connections$/.test(
    message,
  );
}
