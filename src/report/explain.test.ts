import { describe, expect, it } from 'vitest';

import { gapLines } from './explain.js';
import { buildCharts } from './series-charts.js';

describe('gapLines', () => {
  const start = Date.UTC(2026, 0, 5);

  it('marks the period and the band', () => {
    // Gaps of 55–60 s around a 60 s period with a 48–60 s band, and one missed beat.
    const gaps = [55, 58, 60, 57, 59, 120, 56];
    const times = gaps.reduce((list, gap) => [...list, (list.at(-1) as number) + gap * 1000], [start]);
    const charts = buildCharts(
      { times, sourceBytes: [], destinationBytes: [], total: times.length },
      { seconds: 60, lowSeconds: 48, highSeconds: 60, label: '' },
    );
    const text = gapLines(charts, 80);
    expect(text.some((line) => line.includes('◆'))).toBe(true);
    expect(text.some((line) => line.includes('┃'))).toBe(true);
    const counted = text.map((line) => Number(/ (\d+)$/.exec(line)?.[1] ?? 0));
    expect(counted.reduce((sum, count) => sum + count, 0)).toBe(gaps.length);
    for (const line of text) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('says so for one connection', () => {
    const charts = buildCharts({ times: [start], sourceBytes: [], destinationBytes: [], total: 1 }, null);
    expect(gapLines(charts, 80)).toEqual(['no gaps: the series has one connection time']);
  });
});
