/** The excerpt of a skipped packet record, which the import summary shows with its record number. */

/** Captured bytes shown, as hex, in a rejected packet's excerpt. */
const EXCERPT_BYTES = 40;

/** Formats the first captured bytes of a packet as hex, with the length when there are more. */
export function hexExcerpt(data: Buffer): string {
  const hex = data
    .subarray(0, EXCERPT_BYTES)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
  return data.length > EXCERPT_BYTES ? `${hex} …(${data.length} bytes)` : hex;
}
