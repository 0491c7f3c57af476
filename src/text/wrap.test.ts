import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { wrapLine } from './wrap.js';

describe('wrapLine', () => {
  /**
   * Lines of words, some with a "label   value" start, as explain writes them. A few words are longer
   * than any width, as a server name from the network can be.
   */
  const lines = fc
    .tuple(
      fc.constantFrom('', '  ', '  period         ', '  passed  ', '  also seen as   '),
      fc.array(
        fc.oneof(
          { weight: 9, arbitrary: fc.stringMatching(/^[a-z0-9.:–()%]{1,12}$/) },
          { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9.-]{40,240}$/) },
        ),
        { minLength: 1, maxLength: 40 },
      ),
    )
    .map(([start, words]) => `${start}${words.join(' ')}`);

  it('keeps lines within the width', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 40, max: 200 }), (line, width) => {
        for (const wrapped of wrapLine(line, width)) expect(wrapped.length).toBeLessThanOrEqual(width);
      }),
    );
  });

  it('keeps every character in order', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 40, max: 200 }), (line, width) => {
        const letters = (text: string): string => text.replace(/\s+/g, '');
        expect(letters(wrapLine(line, width).join(' '))).toBe(letters(line));
      }),
    );
  });

  it('keeps short words whole', () => {
    const line = `  key            server-name ${'a'.repeat(90)}.example.com, 1,600 connections`;
    const wrapped = wrapLine(line, 80);
    expect(wrapped.every((part) => part.length <= 80)).toBe(true);
    expect(wrapped.at(-1)).toMatch(/ 1,600 connections$/);
  });

  it('indents under the value column', () => {
    const line = `  period         ${'word '.repeat(20).trim()}`;
    const [first, second] = wrapLine(line, 40);
    expect(first).toMatch(/^ {2}period {9}word/);
    expect(second).toMatch(/^ {17}word/);
  });

  it('keeps numbers with units', () => {
    const line = `  - ${'word '.repeat(13)}every 54 s ± 3.0 s; steady size 320 B; 99 % on the beat`;
    for (const width of [40, 50, 60, 70, 80]) {
      for (const wrapped of wrapLine(line, width)) {
        expect(wrapped).not.toMatch(/\d$/);
        expect(wrapped).not.toMatch(/^\s*(s|B|%)\b/);
      }
    }
  });
});
