/**
 * Registered domains (the name an organisation registered, one label below a public suffix) from the
 * Public Suffix List, through tldts. Private suffixes count as public here: each CloudFront distribution
 * (d111.cloudfront.net) or dynamic-DNS host (x.duckdns.org) is a separate registrant, so grouping by
 * cloudfront.net would merge unrelated parties.
 */
import { getDomain } from 'tldts';

const OPTIONS = { allowPrivateDomains: true, detectIp: true, validateHostname: false } as const;

/** Lower-cases a DNS name and drops surrounding blanks and a trailing root dot. */
export function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Returns the registered domain of a host name, lower case, or null for an address, a bare public
 * suffix or a name with no known suffix (such as a single-label intranet name).
 */
export function registeredDomain(name: string): string | null {
  const host = normaliseName(name);
  if (host === '') return null;
  return getDomain(host, OPTIONS);
}

/** Returns the labels of `name` left of its registered domain, or '' for the domain itself. */
export function subdomainOf(name: string, domain: string): string {
  const host = normaliseName(name);
  if (host === domain) return '';
  return host.endsWith(`.${domain}`) ? host.slice(0, -(domain.length + 1)) : '';
}
