import { describe, expect, test } from 'vitest';

import { countOf } from './plural.js';

describe('countOf', () => {
  test('singular for one', () => {
    expect(countOf(1, 'line')).toBe('1 line');
  });

  test('plural with s by default', () => {
    expect(countOf(0, 'line')).toBe('0 lines');
    expect(countOf(1200, 'line')).toBe('1,200 lines');
  });

  test('irregular plural', () => {
    expect(countOf(2, 'query', 'queries')).toBe('2 queries');
  });
});
