/**
 * When a token is renewed: the rule shared by the broker, the scheduler and both stores (which keep
 * `renew_at` so that one indexed query finds what is due). Times are epoch milliseconds.
 */

const MAX_MARGIN_MS = 5 * 60 * 1000;

export interface TokenLifetime {
  issuedAt: number | null;
  expiresAt: number | null;
}

/** min(5 minutes, 20% of the lifetime ArcGIS granted): a read while ArcGIS answers leaves at least this. */
export function refreshMarginMs({ issuedAt, expiresAt }: TokenLifetime): number {
  if (expiresAt === null || issuedAt === null) return 0;
  return Math.min(MAX_MARGIN_MS, Math.max(0, (expiresAt - issuedAt) * 0.2));
}

/** The refresh point: 2 x margin before expiry (10 minutes before for a 2-hour token). */
export function refreshPointMs(lifetime: TokenLifetime): number | null {
  if (lifetime.expiresAt === null) return null;
  return lifetime.expiresAt - 2 * refreshMarginMs(lifetime);
}

/**
 * When a row whose tokens are fetched from ArcGIS is next due for renewal: at once without a token (or
 * without an expiry), else at its refresh point. (A static token is never due: auth-types/static-token.ts.)
 */
export function renewAtOf(token: TokenLifetime | null): number {
  if (token === null) return 0;
  return refreshPointMs(token) ?? 0;
}

/** Whether a fetched token can be handed out at `now` without asking ArcGIS: until it expires. */
export function unexpired(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && expiresAt > now;
}

/** When a token granted `expiresInSeconds` now expires, in whole milliseconds (ArcGIS may send a fraction). */
export function expiryOf(issuedAt: number, expiresInSeconds: number): number {
  return issuedAt + Math.floor(expiresInSeconds * 1000);
}

const FIRST_PAUSE_MS = 2000;
const MAX_PAUSE_MS = 5 * 60 * 1000;

/**
 * The pause after the n-th failed renewal in a row (n >= 1): the ceiling doubles from 2 s up to
 * 5 minutes, and the pause is drawn from the upper half of it ("equal jitter"), so pauses grow while
 * a fleet that failed together does not retry together. `random` is in [0, 1).
 */
export function retryPauseMs(failures: number, random: number): number {
  const ceiling = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.max(0, Math.min(failures, 30) - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
