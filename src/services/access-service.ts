import { randomUUID } from 'node:crypto';
import { Clock } from '../clock';
import { hashSecret, newSubscriptionKey, sameHash } from '../crypto/secrets';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { KeyRow, Role, Store } from '../stores/store';
import { ClientCredentialsService } from './client-credentials-service';
import { Principal } from './principal';
import { TtlCache } from './ttl-cache';

/**
 * Who is calling, from a subscription key or a bearer access token. Keys are looked up by their
 * SHA-256 through a process cache (re-checked every CACHE_TTL_SECONDS), so a request costs no
 * database round trip. Unknown, revoked and other-environment keys get the same 401.
 */
export class AccessService {
  private readonly keys: TtlCache<string, KeyRow | null>;

  constructor(
    private readonly store: Store,
    clock: Clock,
    private readonly clients: ClientCredentialsService,
    options: { cacheTtlMs: number; cacheMaxEntries: number },
  ) {
    this.keys = new TtlCache(clock, options.cacheTtlMs, options.cacheMaxEntries, (hash) => store.keys.findByHash(hash));
  }

  async authenticate(environment: string, credentials: { subscriptionKey?: string; authorization?: string }): Promise<Principal> {
    if (credentials.authorization !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/.exec(credentials.authorization.trim());
      if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <access token>".');
      return this.clients.verifyAccessToken(environment, match[1]);
    }
    const key = credentials.subscriptionKey;
    if (key === undefined || key === '') throw new UnauthorizedError('Send atr-subscription-key, or Authorization: Bearer with an access token.');
    const hash = hashSecret(key);
    const row = await this.keys.get(hash);
    if (!row || row.environment !== environment || !sameHash(row.keyHash, hash)) throw new UnauthorizedError();
    return { kind: 'key', id: String(row.id), environment, role: row.role, organizationId: row.organizationId };
  }

  async createKey(input: { environment: string; role: Role; organizationId: number | null; description: string | null }, actor: string) {
    const key = newSubscriptionKey();
    const row = await this.store.keys.create({ ...input, keyHash: hashSecret(key) }, { environment: input.environment, actor, requestId: randomUUID() });
    return { row, key };
  }

  async revokeKey(id: number, actor: string): Promise<KeyRow | null> {
    const row = await this.store.keys.revoke(id, { actor, requestId: randomUUID() });
    if (row) this.keys.delete(row.keyHash);
    return row;
  }
}

export function requireRole(principal: Principal, role: Role): void {
  if (role === 'admin' && principal.role !== 'admin') throw new ForbiddenError('This route needs an admin key or client; yours is a reader.');
}
