import { UpstreamError } from '../errors';

/**
 * The origins an `authURL` may point at (AUTH_URL_ALLOWLIST). The service POSTs client secrets to
 * `authURL`, so an unchecked URL would let anyone with write access send a stored secret anywhere.
 */

type Scheme = 'http' | 'https';

/**
 * An authURL outside the allowlist reached the ArcGIS client, which sent nothing. A write checks the
 * allowlist first (a 400 naming the item), so this happens only to an item stored before the allowlist
 * was narrowed: ArcGIS cannot be asked, and the reader is not at fault (502).
 */
export class AuthUrlNotAllowedError extends UpstreamError {}

interface AllowlistEntry {
  /** As written in the configuration, normalised; used in messages. */
  text: string;
  scheme: Scheme;
  /** Lower-case host; for a wildcard entry the domain below the `*.`. */
  host: string;
  wildcard: boolean;
  port: number;
}

const DEFAULT_PORTS: Record<Scheme, number> = { https: 443, http: 80 };

// scheme://host[:port] and nothing else; the host is checked further below.
const ENTRY_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^:/?#@\s[\]]*)(?::([^/?#@\s]*))?$/;

export class AuthUrlAllowlist {
  private constructor(private readonly entries: readonly AllowlistEntry[]) {}

  /** Parses a comma-separated list of origins; throws an Error naming the first bad entry. */
  static parse(text: string): AuthUrlAllowlist {
    const entries = text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .map(parseEntry);
    if (entries.length === 0) {
      throw new Error('the allowlist is empty; name at least one origin such as https://www.arcgis.com');
    }
    return new AuthUrlAllowlist(entries);
  }

  allows(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    // Credentials in the URL would be sent to ArcGIS and end up in logs; never accept them.
    if (parsed.username !== '' || parsed.password !== '') return false;
    const scheme = parsed.protocol.slice(0, -1);
    if (scheme !== 'http' && scheme !== 'https') return false;
    const host = parsed.hostname.toLowerCase();
    const port = parsed.port === '' ? DEFAULT_PORTS[scheme] : Number(parsed.port);
    return this.entries.some((entry) => entry.scheme === scheme && entry.port === port && hostMatches(entry, host));
  }

  /** The one check before a secret is sent: throws AuthUrlNotAllowedError for a URL the list does not allow. */
  check(url: string): void {
    if (this.allows(url)) return;
    // origin and path only: whatever else was typed (user info, query) stays out of messages
    let shown = '(not a valid URL)';
    try {
      const parsed = new URL(url);
      shown = `${parsed.origin}${parsed.pathname}`;
    } catch {
      // shown as not a URL
    }
    throw new AuthUrlNotAllowedError(`authURL ${shown} is not in AUTH_URL_ALLOWLIST (${this.describe()})`);
  }

  describe(): string {
    return this.entries.map((entry) => entry.text).join(', ');
  }
}

function hostMatches(entry: AllowlistEntry, host: string): boolean {
  if (!entry.wildcard) return host === entry.host;
  // `*.arcgis.com` covers `a.arcgis.com` and `a.b.arcgis.com`, never `arcgis.com` or `evilarcgis.com`,
  // nor a host with an empty label (`.arcgis.com`, `a..arcgis.com`), which the URL parser lets through.
  return host.endsWith(`.${entry.host}`) && host.split('.').every((label) => label !== '');
}

function parseEntry(raw: string): AllowlistEntry {
  const fail = (why: string): never => {
    throw new Error(`entry "${raw}" ${why}`);
  };
  const match = ENTRY_PATTERN.exec(raw);
  if (!match) {
    return fail('is not an origin of the form scheme://host[:port] (no path, query, user or fragment)');
  }
  // Stryker disable next-line StringLiteral: equivalent; both groups always take part in a match
  const [, rawScheme = '', rawHost = '', rawPort] = match;
  const scheme = rawScheme.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return fail(`has scheme "${rawScheme}"; only https and http are allowed`);
  }

  let port = DEFAULT_PORTS[scheme];
  if (rawPort !== undefined) {
    if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) {
      return fail(`has port "${rawPort}"; a port is a number from 1 to 65535`);
    }
    port = Number(rawPort);
  }

  const wildcard = rawHost.startsWith('*.');
  const hostPart = wildcard ? rawHost.slice(2) : rawHost;
  if (hostPart === '') return fail('has no host');
  if (hostPart.includes('*')) {
    return fail('has a "*" that is not a leading "*." label; only "*.domain" wildcards are supported');
  }
  const host = canonicalHost(hostPart);
  if (host === null) return fail(`has host "${hostPart}", which is not a valid host name or IP address`);
  if (host !== hostPart.toLowerCase()) {
    // The URL parser would rewrite it (e.g. "127.1" -> "127.0.0.1"), so it could never match as written.
    return fail(`has host "${hostPart}", which URLs spell "${host}"; write it that way`);
  }
  if (wildcard && !isDomainName(host)) {
    return fail(`has a wildcard over "${host}"; a wildcard needs a domain name such as *.arcgis.com`);
  }

  const portText = port === DEFAULT_PORTS[scheme] ? '' : `:${port}`;
  return { text: `${scheme}://${wildcard ? '*.' : ''}${host}${portText}`, scheme, host, wildcard, port };
}

function canonicalHost(host: string): string | null {
  try {
    // An http URL never parses with an empty host name: it throws instead.
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

/** Only called for a wildcard's host, which the entry pattern never lets be a bracketed IPv6 address. */
function isDomainName(host: string): boolean {
  const labels = host.split('.');
  // A last label of digits only is how the URL parser recognises an IPv4 address.
  // Stryker disable next-line StringLiteral: equivalent; split() always gives at least one label
  return !/^\d+$/.test(labels.at(-1) ?? '') && labels.every((label) => label !== '');
}
