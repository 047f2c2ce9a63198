import { type ArcgisToken, isRecord, type TokenRequest } from './token-request';

/** An ArcGIS OAuth app: the client_credentials grant at an OAuth2 token URL. */
export interface OauthAppCredentials {
  authURL: string;
  clientId: string;
  clientSecret: string;
  /** Requested lifetime in minutes, sent as `expiration`; null lets ArcGIS choose. */
  expirationMinutes: number | null;
}

/** A named user of an ArcGIS Enterprise portal or a standalone ArcGIS Server: generateToken. */
export interface NamedUserCredentials {
  authURL: string;
  username: string;
  password: string;
  /** Sent as `client=referer&referer=...`; null sends `client=requestip`. */
  referer: string | null;
  /** Requested lifetime in minutes, sent as `expiration`; null lets ArcGIS choose. */
  expirationMinutes: number | null;
}

/** OAuth2 client_credentials at an OAuth2 token URL. The secret goes in the body, never the URL. */
export function oauthRequest(credentials: OauthAppCredentials): TokenRequest {
  const form = new URLSearchParams({
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    grant_type: 'client_credentials',
  });
  if (credentials.expirationMinutes !== null) form.set('expiration', String(credentials.expirationMinutes));
  form.set('f', 'json');
  return {
    authURL: credentials.authURL,
    body: form.toString(),
    secret: credentials.clientSecret,
    readToken: (json) => readOauthToken(json) ?? 'ArcGIS answered without an access_token and a positive expires_in',
  };
}

/**
 * generateToken of a portal (`.../sharing/rest/generateToken`) or of a standalone ArcGIS Server
 * (`.../tokens/generateToken`) for a named user. The password goes in the body, never the URL.
 */
export function generateTokenRequest(credentials: NamedUserCredentials): TokenRequest {
  const form = new URLSearchParams({ username: credentials.username, password: credentials.password });
  if (credentials.referer !== null) {
    form.set('client', 'referer');
    form.set('referer', credentials.referer);
  } else {
    form.set('client', 'requestip');
  }
  if (credentials.expirationMinutes !== null) form.set('expiration', String(credentials.expirationMinutes));
  form.set('f', 'json');
  return { authURL: credentials.authURL, body: form.toString(), secret: credentials.password, readToken: readGeneratedToken };
}

/**
 * The longest token lifetime taken as given: a year. ArcGIS grants at most two weeks to apps and a year to
 * named users; anything longer is a malformed answer (and a date past this would not fit the stores).
 */
const MAX_LIFETIME_SECONDS = 366 * 24 * 3600;

function readOauthToken(json: unknown): ArcgisToken | undefined {
  if (!isRecord(json)) return undefined;
  const accessToken = json.access_token;
  const raw = json.expires_in;
  // ArcGIS sends expires_in as a number, some portals as a numeric string.
  const expiresInSeconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;
  if (!Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0 || expiresInSeconds > MAX_LIFETIME_SECONDS) return undefined;
  return { accessToken, expiresInSeconds };
}

/**
 * generateToken's success answer: `expires` is a date in epoch milliseconds (ArcGIS Server's
 * documentation shows it as a numeric string, portals send a number), turned into seconds left against
 * the service's clock.
 */
function readGeneratedToken(json: unknown, now: number): ArcgisToken | string {
  const missing = 'ArcGIS answered without a token and an expires date';
  if (!isRecord(json)) return missing;
  const { token, expires: raw } = json;
  const expires = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (typeof token !== 'string' || token === '' || !Number.isFinite(expires)) return missing;
  // whole seconds, rounded down: the token is never thought to live longer than ArcGIS said
  const expiresInSeconds = Math.floor((expires - now) / 1000);
  if (expiresInSeconds <= 0) {
    // the protocol's unit is milliseconds: a date sent in seconds lands here, in January 1970
    return `ArcGIS answered with a token that expires at ${describeInstant(expires)}, which is not in the future`;
  }
  if (expiresInSeconds > MAX_LIFETIME_SECONDS)
    return `ArcGIS answered with a token that expires at ${describeInstant(expires)}, more than a year ahead`;
  return { accessToken: token, expiresInSeconds };
}

function describeInstant(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
