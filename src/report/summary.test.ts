import { describe, expect, test } from 'vitest';

import type { IngestSummary } from '../ingest/report.js';
import { renderSummary } from './summary.js';

function summaryWith(duplicatesDropped: number): IngestSummary {
  return {
    files: [],
    eventsRead: 1200,
    duplicatesDropped,
    linesSkipped: 0,
    skippedByReason: {},
    samples: [],
  };
}

describe('renderSummary', () => {
  test('counts events with a thousands separator', () => {
    expect(renderSummary(summaryWith(0), 1200, 200)).toContain('1,200 events read');
  });

  test('one duplicate in the singular', () => {
    expect(renderSummary(summaryWith(1), 1200, 200)).toContain(
      '1 duplicate event dropped (the same connection recorded more than once)',
    );
  });

  test('no duplicate line without duplicates', () => {
    expect(renderSummary(summaryWith(0), 1200, 200)).not.toContain('duplicate');
  });
});
