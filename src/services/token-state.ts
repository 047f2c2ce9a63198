import { authTypeOf } from '../auth-types/auth-types';
import type { SecretBox } from '../crypto/secret-box';
import { EncryptionKeyMissingError, RenewalPausedError } from '../errors';
import type { AuthType } from '../domain';
import type { MapTokenRow, RefreshFailure } from '../stores/store';

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
  /** The ArcGIS REST root the token was issued by (registerToken's `server`, by its auth type); null: none. */
  server: string | null;
  /** Whether authURL (a static token's server) is https (registerToken's `ssl`). */
  ssl: boolean;
  /** When this process last compared the entry with the store. */
  checkedAt: number;
  /** When a renewal is next due: the refresh point, or the end of the pause after a failure. null: never. */
  renewAt: number | null;
  lastRefreshError: RefreshFailure | null;
  /**
   * The id of the ENCRYPTION_KEY that sealed the stored token when this instance does not hold it (the
   * token is then null): reads answer 503, lists show the row without its token. null: the token opened.
   */
  missingKeyId: string | null;
  /** The row as last read: what a renewal needs, even while the store cannot be reached. */
  row: MapTokenRow;
}

export function toIsoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Whether the token can be handed out now without asking ArcGIS (its auth type's lifetime rule). */
export function usable(state: TokenState, now: number): boolean {
  if (state.token === null) return false;
  return authTypeOf(state).usable(state.expiresAt, now);
}

/**
 * The error of a read or report inside the fleet's retry pause (set on the row by a failed renewal): no
 * call to ArcGIS before `renewAt`; null outside a pause. 504 when the last try timed out, else 502.
 */
export function pauseOf(state: TokenState, now: number): RenewalPausedError | null {
  if (state.row.refreshFailures === 0 || state.renewAt === null || state.renewAt <= now) return null;
  return new RenewalPausedError(state.id, state.lastRefreshError?.kind === 'timeout', state.renewAt - now);
}

/**
 * The cached state of a row. The plaintext token is taken from `plaintext` (just fetched or written), from
 * `previous` when it holds the same sealed token, or else decrypted.
 */
export function toTokenState(
  row: MapTokenRow,
  previous: TokenState | undefined,
  box: SecretBox,
  now: number,
  plaintext?: string | null,
): TokenState {
  const tokenEnc = row.token?.tokenEnc ?? null;
  const same = previous !== undefined && previous.tokenEnc === tokenEnc && plaintext === undefined;
  let token: string | null = null;
  let missingKeyId: string | null = null;
  if (plaintext !== undefined) token = plaintext;
  else if (same) ({ token, missingKeyId } = previous);
  else if (tokenEnc !== null) {
    try {
      token = box.decrypt(tokenEnc);
    } catch (error) {
      // one row sealed with a key this instance lacks must not fail the others (a list, the scheduler)
      if (!(error instanceof EncryptionKeyMissingError)) throw error;
      missingKeyId = error.keyId;
    }
  }
  const expiresAt = row.token?.expiresAt ?? null;
  return {
    id: row.id,
    environment: row.environment,
    organizationId: row.organizationId,
    authType: row.authType,
    version: row.version,
    tokenEnc,
    token,
    issuedAt: row.token?.issuedAt ?? null,
    expiresAt,
    expiresAtIso: same && previous.expiresAt === expiresAt ? previous.expiresAtIso : toIsoOrNull(expiresAt),
    server: authTypeOf(row).server(row),
    // a static token's is its server's scheme (it has no authURL)
    ssl: (row.authUrl ?? row.server)?.startsWith('https:') ?? false,
    checkedAt: now,
    renewAt: row.renewAt,
    lastRefreshError: row.lastRefreshError,
    missingKeyId,
    row,
  };
}
