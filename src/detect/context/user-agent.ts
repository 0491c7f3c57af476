/**
 * HTTP User-Agent checks. Implants send their framework's default header, a header copied from an old
 * browser, or the default of the HTTP library they are written with, while people browse with current
 * browsers. None of these checks proves anything alone, so each carries a small weight.
 */

export type UserAgentKind = 'empty' | 'c2-default' | 'tool' | 'outdated' | 'short';

export interface UserAgentFinding {
  kind: UserAgentKind;
  /** The reason the value is odd, for the indicator's detail. */
  reason: string;
}

/**
 * An Internet Explorer 9 header that public detection write-ups report as Cobalt Strike's default
 * User-Agent when a Malleable C2 profile sets none.
 * NOTE: not checked against Fortra's own documentation.
 */
export const COBALT_STRIKE_DEFAULT_USER_AGENT =
  'Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; WOW64; Trident/5.0)';

/**
 * Default headers of command-line tools and HTTP libraries, matched case-insensitively as substrings.
 * PowerShell's Invoke-WebRequest sends `Mozilla/5.0 (Windows NT; ...) WindowsPowerShell/5.1...`, so its
 * token can sit anywhere in the value.
 */
const TOOL_TOKENS: readonly { token: string; tool: string }[] = [
  { token: 'curl/', tool: 'curl' },
  { token: 'wget/', tool: 'Wget' },
  { token: 'python-requests/', tool: 'Python requests' },
  { token: 'python-urllib/', tool: 'Python urllib' },
  { token: 'windowspowershell/', tool: 'Windows PowerShell' },
  { token: 'go-http-client/', tool: 'Go net/http' },
];

/**
 * Internet Explorer 1 to 9. Those releases have long been out of support, so a header that claims one of
 * them on a current network was most likely copied into a program rather than sent by a browser.
 */
const OUTDATED_MSIE = /\bMSIE ([1-9])\.\d/;

/**
 * Current browser families: Chromium-based browsers, Firefox, Safari and Internet Explorer 11 all send a
 * `Mozilla/5.0 (platform)` header followed by their engine and product tokens.
 */
const MAINSTREAM_BROWSER = /^Mozilla\/5\.0 \([^)]+\).*\b(Chrome|Chromium|Firefox|Safari|Edg|Edge|OPR)\/\d/;
const INTERNET_EXPLORER_11 = /^Mozilla\/5\.0 \([^)]*Trident\/7\.0[^)]*\)/;

/**
 * Returns what is odd about one User-Agent value, or null for a value that passes every check. A null
 * or blank value is odd only on a request that was HTTP, which the caller decides. Only the first
 * matching check is returned, in the order of the type `UserAgentKind`, so the Cobalt Strike default is
 * not also counted as an outdated browser.
 */
export function classifyUserAgent(value: string | null, shortMaxLength: number): UserAgentFinding | null {
  const text = (value ?? '').trim();
  if (text === '') return { kind: 'empty', reason: 'no User-Agent' };
  if (text === COBALT_STRIKE_DEFAULT_USER_AGENT) {
    return { kind: 'c2-default', reason: 'the Cobalt Strike default User-Agent' };
  }
  const lower = text.toLowerCase();
  const tool = TOOL_TOKENS.find((entry) => lower.includes(entry.token));
  if (tool) return { kind: 'tool', reason: `the ${tool.tool} default User-Agent` };
  const msie = OUTDATED_MSIE.exec(text);
  if (msie) return { kind: 'outdated', reason: `claims Internet Explorer ${msie[1]}` };
  if (text.length <= shortMaxLength) return { kind: 'short', reason: `only ${text.length} characters` };
  return null;
}

/** Reports whether the value looks like a current mainstream browser's header. */
export function isMainstreamBrowser(value: string): boolean {
  const text = value.trim();
  return MAINSTREAM_BROWSER.test(text) || INTERNET_EXPLORER_11.test(text);
}
