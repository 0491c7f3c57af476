import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { wrapLine } from './wrap.js';

describe('wrapLine', () => {
  /** Lines of short words, some with a "label   value" start, as explain writes them. */
  const lines = fc
    .tuple(
      fc.constantFrom('', '  ', '  period         ', '  passed  '),
      fc.array(fc.stringMatching(/^[a-z0-9.:–()%]{1,12}$/), { minLength: 1, maxLength: 40 }),
    )
    .map(([start, words]) => `${start}${words.join(' ')}`);

  it('keeps lines within the width', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 40, max: 200 }), (line, width) => {
        for (const wrapped of wrapLine(line, width)) expect(wrapped.length).toBeLessThanOrEqual(width);
      }),
    );
  });

  it('keeps every word in order', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 40, max: 200 }), (line, width) => {
        const words = (text: string): string[] => text.split(/\s+/).filter((word) => word !== '');
        expect(words(wrapLine(line, width).join(' '))).toEqual(words(line));
      }),
    );
  });

  it('indents under the value column', () => {
    const line = `  period         ${'word '.repeat(20).trim()}`;
    const [first, second] = wrapLine(line, 40);
    expect(first).toMatch(/^ {2}period {9}word/);
    expect(second).toMatch(/^ {17}word/);
  });
});
