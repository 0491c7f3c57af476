/** `beaconhunt formats`: every input format with how it is recognised and an example record. */
import { INPUT_FORMATS } from '../ingest/formats.js';

export interface FormatListing {
  id: string;
  description: string;
  recognisedBy: string | null;
  example: string | null;
}

export function listFormats(): FormatListing[] {
  return INPUT_FORMATS.map((format) => ({
    id: format.id,
    description: format.description,
    recognisedBy: format.recognisedBy ?? null,
    example: format.example ?? null,
  }));
}

/** Renders the listing as indented text, one block per format. */
export function renderFormats(listings: readonly FormatListing[]): string {
  const blocks = listings.map((listing) => {
    const lines = [listing.id, `  ${listing.description}`];
    if (listing.recognisedBy) lines.push(`  recognised by: ${listing.recognisedBy}`);
    if (listing.example) lines.push(`  example: ${listing.example}`);
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}
