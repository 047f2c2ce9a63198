import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { hashSecret, newSubscriptionKey } from '../crypto/secrets';
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { Principal, Role } from '../domain';
import type { KeyRow, Store } from '../stores/store';
import type { ClientCredentialsService } from './client-credentials-service';
import { type NewCaller, rulesOf } from './caller-rules';
import { TtlCache } from './ttl-cache';

interface KnownKey {
  row: KeyRow;
  principal: Principal;
}

/**
 * Who is calling, from a subscription key or a bearer access token. A key is known by its SHA-256 only,
 * in the store and in the process cache in front of it (re-checked every CACHE_TTL_SECONDS), so a
 * request costs no database round trip and no key is ever compared in plaintext. A known key hands out
 * the same frozen principal each time. Unknown, revoked and other-environment keys get the same 401.
 *
 * What keeps timing from leaking a key: the key is never compared with anything. Its hash is looked up
 * (a cache map, a unique index), and the lookup is the match, so there is no second comparison to make
 * constant-time. The lookup's timing can at most tell a caller how far the hash of a value they chose
 * agrees with a stored hash; turning that into a key would need a SHA-256 preimage of 256 random bits.
 */
export class AccessService {
  private readonly keys: TtlCache<string, KnownKey | null>;

  constructor(
    private readonly store: Store,
    clock: Clock,
    private readonly clients: ClientCredentialsService,
    options: { cacheTtlMs: number; cacheMaxEntries: number },
  ) {
    this.keys = new TtlCache(clock, options.cacheTtlMs, options.cacheMaxEntries, async (hash) => {
      const row = await store.keys.findByHash(hash);
      if (!row) return null;
      const principal: Principal = Object.freeze({
        kind: 'key',
        id: String(row.id),
        environment: row.environment,
        role: row.role,
        organizationId: row.organizationId,
        // the cache keeps the key's rules with it: a read needs no query for them
        ...rulesOf(row),
      });
      return { row, principal };
    });
  }

  async authenticate(environment: string, credentials: { subscriptionKey?: string; authorization?: string }): Promise<Principal> {
    if (credentials.authorization !== undefined) {
      // RFC 6750 (via RFC 9110 section 11.1): the scheme name is case-insensitive
      const match = /^Bearer +([A-Za-z0-9_\-.]{1,4096})$/i.exec(credentials.authorization.trim());
      if (!match?.[1]) throw new UnauthorizedError('The Authorization header must be "Bearer <access token>".');
      return this.clients.verifyAccessToken(environment, match[1]);
    }
    const key = credentials.subscriptionKey;
    if (key === undefined || key === '')
      throw new UnauthorizedError('Send atr-subscription-key, or Authorization: Bearer with an access token.');
    if (key.length > 512) throw new UnauthorizedError();
    const hash = hashSecret(key);
    const known = await this.keys.get(hash);
    if (!known || known.row.environment !== environment) throw new UnauthorizedError();
    return known.principal;
  }

  async createKey(input: NewCaller, actor: string) {
    const key = newSubscriptionKey();
    const row = await this.store.keys.create(
      { allowedOrigins: null, rateLimit: null, ...input, keyHash: hashSecret(key) },
      { environment: input.environment, actor, requestId: randomUUID() },
    );
    return { row, key };
  }

  /** The active keys of one environment (rows hold only a hash: a key is shown once, when created). */
  listKeys(environment: string): Promise<KeyRow[]> {
    return this.store.keys.list(environment);
  }

  async revokeKey(id: number, actor: string): Promise<KeyRow | null> {
    const row = await this.store.keys.revoke(id, { actor, requestId: randomUUID() });
    if (row) this.keys.delete(row.keyHash);
    return row;
  }
}

export function requireRole(principal: Principal, role: Role): void {
  if (role === 'admin' && principal.role !== 'admin')
    throw new ForbiddenError('This route needs an admin key or client; yours is a reader.');
}
