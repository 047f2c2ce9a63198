import type { Clock } from '../../clock';
import { ConflictError, conflictMessage, NotFoundError, tooManySecretsMessage } from '../../errors';
import {
  type AuditContext,
  type AuditEvent,
  type ClientRow,
  type ClientSecretRow,
  type KeyRow,
  type MapTokenRow,
  type MapTokenWrite,
  type RenewalBasis,
  type Store,
  type StoredToken,
  storedFields,
} from '../store';
import { inScope } from '../../domain';
import { authTypeOf } from '../../auth-types/auth-types';
import { KeyedMutex } from './keyed-mutex';

const copy = <T>(value: T): T => structuredClone(value);

/** A static token that expires at or before `by` (passed ones included); a token without a date never does. */
function staticExpiring(row: MapTokenRow, by: number): boolean {
  const expiresAt = row.token?.expiresAt ?? null;
  return !authTypeOf(row).renews && expiresAt !== null && expiresAt <= by;
}

const CREDENTIALS = ['authType', 'authKey', 'authSecretEnc', 'authTimeout', 'authUrl', 'authReferer'] as const;

/** Whether a row still has the credentials a renewal was based on. */
const sameCredentials = (row: MapTokenRow, basis: RenewalBasis): boolean => CREDENTIALS.every((field) => row[field] === basis[field]);

/** Writing a token sets when it is due and forgets earlier refresh failures (as the MySQL store does). */
const tokenFields = (token: StoredToken | null, renewAt: number | null) => ({
  token,
  renewAt,
  refreshFailures: 0,
  lastRefreshError: null,
});

/**
 * The embedded store: everything in this process's memory, gone when it exits. It keeps the same
 * contract as the MySQL store (including atomic batches) so that `npm start` works with no database.
 */
export function createMemoryStore(clock: Clock): Store & { readonly audit: readonly AuditEvent[] } {
  const mapTokens = new Map<number, MapTokenRow>();
  const keys = new Map<number, KeyRow & { revoked: boolean }>();
  const clients = new Map<string, ClientRow>();
  const secrets = new Map<string, ClientSecretRow>();
  const audit: AuditEvent[] = [];
  const locks = new KeyedMutex();
  let nextMapTokenId = 1;
  const dueRows = (now: number, usedSince: number | undefined) =>
    [...mapTokens.values()].filter(
      (row) => row.renewAt !== null && row.renewAt <= now && (usedSince === undefined || row.lastUsedAt >= usedSince),
    );
  let nextKeyId = 1;

  const record = (ctx: AuditContext, action: AuditEvent['action'], resourceType: AuditEvent['resourceType'], resourceId: string | number) =>
    audit.push({ ...ctx, partnerId: ctx.partnerId ?? null, action, resourceType, resourceId: String(resourceId), at: clock.now() });

  return {
    kind: 'memory',
    mapTokens: {
      async get(scope, id) {
        const row = mapTokens.get(id);
        return row && inScope(scope, row) ? copy(row) : null;
      },
      async getMany(scope, ids) {
        const found = new Map<number, MapTokenRow>();
        for (const id of ids) {
          const row = mapTokens.get(id);
          if (row && inScope(scope, row)) found.set(id, copy(row));
        }
        return found;
      },
      async list(scope, { limit, offset, organizationId, failing, expiringBy }) {
        const matching = [...mapTokens.values()]
          .filter((row) => inScope(scope, row) && (organizationId === null || row.organizationId === organizationId))
          .filter((row) => !failing || row.lastRefreshError !== null)
          .filter((row) => expiringBy === undefined || staticExpiring(row, expiringBy))
          .sort((a, b) => a.id - b.id);
        return { rows: matching.slice(offset, offset + limit).map(copy), total: matching.length };
      },
      async writeBatch(writes: MapTokenWrite[], ctx) {
        for (const write of writes) {
          if (write.kind !== 'update') continue;
          const row = mapTokens.get(write.id);
          if (row?.environment !== ctx.environment) throw new NotFoundError(`Map token ${write.id} was not found.`);
          if (row.version !== write.expectedVersion) throw new ConflictError(conflictMessage(write.id));
        }
        const now = clock.now();
        return writes.map((write) => {
          let row: MapTokenRow;
          if (write.kind === 'create') {
            row = {
              id: nextMapTokenId++,
              environment: ctx.environment,
              ...storedFields(write.fields),
              ...tokenFields(write.token, authTypeOf(write.fields).renewAt(write.token)),
              forcedRenewalAt: null,
              usage: { lastReadAt: null, reads: 0 },
              lastUsedAt: now,
              version: 1,
              createdAt: now,
              updatedAt: now,
            };
          } else {
            // checked above: every updated row is there, at its expected version
            const old = mapTokens.get(write.id) as MapTokenRow;
            const token = write.token === undefined ? {} : tokenFields(write.token, authTypeOf(write.fields).renewAt(write.token));
            const lastUsedAt = Math.max(old.lastUsedAt, now);
            row = { ...old, ...storedFields(write.fields), ...token, version: old.version + 1, updatedAt: now, lastUsedAt };
          }
          mapTokens.set(row.id, row);
          record(ctx, write.kind, 'map_token', row.id);
          return copy(row);
        });
      },
      async delete(scope, id, ctx) {
        const row = mapTokens.get(id);
        if (!row || !inScope(scope, row)) return false;
        mapTokens.delete(id);
        record(ctx, 'delete', 'map_token', id);
        return true;
      },
      async resealAll(reseal) {
        let replaced = 0;
        for (const row of mapTokens.values()) {
          const secret = row.authSecretEnc === null ? null : reseal(row.authSecretEnc);
          if (secret !== null) {
            row.authSecretEnc = secret;
            replaced++;
          }
          const token = row.token === null ? null : reseal(row.token.tokenEnc);
          if (row.token !== null && token !== null) {
            row.token.tokenEnc = token;
            replaced++;
          }
        }
        return replaced;
      },
      async saveToken(basis, token: StoredToken, renewAt, forcedAt) {
        const row = mapTokens.get(basis.id);
        if (!row || !sameCredentials(row, basis)) return false;
        Object.assign(row, tokenFields(copy(token), renewAt));
        if (forcedAt !== undefined) row.forcedRenewalAt = forcedAt;
        return true;
      },
      async recordRefreshFailure(basis, failure, failures, retryAt, forcedAt) {
        const row = mapTokens.get(basis.id);
        if (!row || !sameCredentials(row, basis)) return false;
        Object.assign(row, { renewAt: retryAt, refreshFailures: failures, lastRefreshError: copy(failure) });
        if (forcedAt !== undefined) row.forcedRenewalAt = forcedAt;
        return true;
      },
      async due(now, limit, usedSince) {
        return dueRows(now, usedSince)
          .sort((a, b) => (a.renewAt ?? 0) - (b.renewAt ?? 0))
          .slice(0, limit)
          .map((row) => ({ id: row.id, environment: row.environment }));
      },
      async countDue(now, usedSince) {
        return dueRows(now, usedSince).length;
      },
      async addUsage(deltas) {
        for (const delta of deltas) {
          const row = mapTokens.get(delta.id);
          if (!row) continue;
          row.usage = {
            reads: row.usage.reads + delta.reads,
            lastReadAt: Math.max(row.usage.lastReadAt ?? 0, delta.lastReadAt),
          };
          row.lastUsedAt = Math.max(row.lastUsedAt, delta.lastReadAt);
        }
      },
      async countFailing() {
        return [...mapTokens.values()].filter((row) => row.lastRefreshError !== null).length;
      },
      async countStaticExpiring(by) {
        return [...mapTokens.values()].filter((row) => staticExpiring(row, by)).length;
      },
    },
    keys: {
      async create(key, ctx) {
        const row: KeyRow = { ...key, id: nextKeyId++, createdAt: clock.now(), lastUsedAt: null };
        keys.set(row.id, { ...row, revoked: false });
        record(ctx, 'create', 'key', row.id);
        return copy(row);
      },
      async findByHash(keyHash) {
        for (const { revoked, ...row } of keys.values()) if (!revoked && row.keyHash === keyHash) return copy(row);
        return null;
      },
      async list(environment) {
        return [...keys.values()]
          .filter((row) => row.environment === environment && !row.revoked)
          .map(({ revoked: _, ...row }) => copy(row));
      },
      async revoke(id, ctx) {
        const row = keys.get(id);
        if (!row || row.revoked) return null;
        row.revoked = true;
        record({ ...ctx, environment: row.environment }, 'delete', 'key', id);
        const { revoked: _, ...rest } = row;
        return copy(rest);
      },
      async recordUses(uses) {
        for (const { id, at } of uses) {
          const row = keys.get(id);
          if (row) row.lastUsedAt = Math.max(row.lastUsedAt ?? at, at);
        }
      },
    },
    clients: {
      async create(client, secret, ctx) {
        const now = clock.now();
        const row: ClientRow = { ...client, createdAt: now };
        clients.set(row.clientId, row);
        secrets.set(secret.id, { ...secret, createdAt: now });
        record(ctx, 'create', 'client', row.clientId);
        record(ctx, 'create', 'client_secret', secret.id);
        return copy(row);
      },
      async get(clientId) {
        const row = clients.get(clientId);
        return row ? copy(row) : null;
      },
      async list(environment) {
        return [...clients.values()].filter((row) => row.environment === environment).map(copy);
      },
      async delete(clientId, ctx) {
        const row = clients.get(clientId);
        if (!row) return null;
        clients.delete(clientId);
        for (const [id, secret] of secrets) if (secret.clientId === clientId) secrets.delete(id);
        record({ ...ctx, environment: row.environment }, 'delete', 'client', clientId);
        return copy(row);
      },
      async addSecret(secret, ctx, maxLive = Infinity) {
        if (!clients.has(secret.clientId)) throw new NotFoundError('The client was not found.');
        const live = [...secrets.values()].filter((row) => row.clientId === secret.clientId).length;
        if (live >= maxLive) throw new ConflictError(tooManySecretsMessage(maxLive));
        const row: ClientSecretRow = { ...secret, createdAt: clock.now() };
        secrets.set(row.id, row);
        record(ctx, 'create', 'client_secret', row.id);
        return copy(row);
      },
      async getSecret(id) {
        const row = secrets.get(id);
        return row ? copy(row) : null;
      },
      async listSecrets(clientId) {
        return [...secrets.values()]
          .filter((row) => row.clientId === clientId)
          .sort((a, b) => a.createdAt - b.createdAt)
          .map(copy);
      },
      async deleteSecret(clientId, id, ctx) {
        if (secrets.get(id)?.clientId !== clientId) return false;
        secrets.delete(id);
        record(ctx, 'delete', 'client_secret', id);
        return true;
      },
    },
    audit,
    async hasCredentials() {
      return clients.size > 0 || [...keys.values()].some((row) => !row.revoked);
    },
    withLock: (name, timeoutSeconds, fn) => locks.run(name, timeoutSeconds * 1000, fn),
    poolStats: () => null,
    async ping() {},
    async close() {},
  };
}
