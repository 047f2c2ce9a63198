import { AuthType } from '../stores/store';

/** What the broker caches per map token: the decrypted token and what decides its freshness. */
export interface TokenState {
  id: number;
  environment: string;
  organizationId: number;
  authType: AuthType;
  version: number;
  tokenEnc: string | null;
  token: string | null;
  issuedAt: number | null;
  expiresAt: number | null;
  /** expiresAt as ISO 8601, computed once per token rather than once per read. */
  expiresAtIso: string | null;
  /** When this process last compared the entry with the store. */
  checkedAt: number;
  /** After a failed refresh: serve the unexpired token without retrying until then. */
  retryAfter: number;
}

const MAX_MARGIN_MS = 5 * 60 * 1000;

/** min(5 minutes, 20% of the token's lifetime): a read always leaves the client at least this much. */
export function refreshMarginMs(state: Pick<TokenState, 'issuedAt' | 'expiresAt'>): number {
  if (state.expiresAt === null || state.issuedAt === null) return 0;
  return Math.min(MAX_MARGIN_MS, Math.max(0, (state.expiresAt - state.issuedAt) * 0.2));
}

export function toIsoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
