/** Counts in messages: "1 line", "2 lines", "1,200 queries". */

/** Returns the count with the noun in the form the count takes; `pluralNoun` defaults to noun + "s". */
export function countOf(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : pluralNoun}`;
}
