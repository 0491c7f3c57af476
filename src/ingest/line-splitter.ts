/**
 * Splits decoded text into lines as it arrives in chunks. A line ends at LF, and a CR just before the LF
 * is dropped, so LF and CRLF files number their lines alike, as `wc -l` and `grep -n` do. A lone CR is
 * kept inside the line.
 */
export class LineSplitter {
  private rest = '';

  /** Returns the lines that `chunk` completes, without their terminators. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (let index = 0; index < lines.length; index += 1) {
      const line = lines[index] as string;
      if (line.endsWith('\r')) lines[index] = line.slice(0, -1);
    }
    return lines;
  }

  /** Returns the last line when the text does not end with a line feed, or null when it does. */
  end(): string | null {
    const last = this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest;
    this.rest = '';
    return last === '' ? null : last;
  }
}
