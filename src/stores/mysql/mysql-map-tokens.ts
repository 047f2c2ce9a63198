import type { Clock } from '../../clock';
import { ConflictError, conflictMessage, NotFoundError } from '../../errors';
import { authTypeOf, unrenewedAuthTypes } from '../../auth-types/auth-types';
import type { Scope } from '../../domain';
import type { MapTokenFields, StoredMapTokenFields } from '../../auth-types/auth-types';
import type { AuditContext, MapTokenRow, MapTokenStore, MapTokenWrite, RefreshErrorKind, RenewalBasis, StoredToken } from '../store';
import type { Database, Row } from './database';
import { insertAudit } from './mysql-audit';

const COLUMNS =
  'id, environment, organization_id, auth_type, auth_key, auth_secret_enc, auth_timeout, auth_url, auth_referer, server_url, token_enc, token_issued_at, token_expires_at, version, created_at, updated_at, ' +
  'renew_at, refresh_failures, refresh_error_at, refresh_error_kind, refresh_error_message, forced_renewal_at, last_read_at, read_count, last_used_at';

const num = (value: unknown): number => Number(value);

/** The values of the columns an admin write sets (organization_id ... server_url), as both statements below list them. */
function fieldColumns(f: MapTokenFields): unknown[] {
  return [f.organizationId, f.authType, f.authKey, f.authSecretEnc, f.authTimeout, f.authUrl, f.authReferer ?? null, f.server ?? null];
}
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toMapTokenRow(row: Row): MapTokenRow {
  const token: StoredToken | null =
    row.token_enc === null
      ? null
      : { tokenEnc: row.token_enc, issuedAt: num(row.token_issued_at), expiresAt: numOrNull(row.token_expires_at) };
  // the columns of each auth type are kept consistent by the writes (the write rules of auth-types/)
  const fields = {
    organizationId: num(row.organization_id),
    authType: row.auth_type,
    authKey: row.auth_key,
    authSecretEnc: row.auth_secret_enc,
    authTimeout: numOrNull(row.auth_timeout),
    authUrl: row.auth_url,
    authReferer: row.auth_referer ?? null,
    server: row.server_url ?? null,
  } as StoredMapTokenFields;
  return {
    id: num(row.id),
    environment: row.environment,
    ...fields,
    token,
    version: num(row.version),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    renewAt: numOrNull(row.renew_at),
    refreshFailures: num(row.refresh_failures),
    lastRefreshError:
      row.refresh_error_at === null
        ? null
        : { at: num(row.refresh_error_at), kind: row.refresh_error_kind as RefreshErrorKind, message: row.refresh_error_message },
    forcedRenewalAt: numOrNull(row.forced_renewal_at),
    usage: { lastReadAt: numOrNull(row.last_read_at), reads: num(row.read_count) },
    lastUsedAt: num(row.last_used_at),
  };
}

/** Byte-exact comparison of the credentials a renewal was based on (auth_key's collation pads spaces). */
const SAME_CREDENTIALS =
  'id = ? AND auth_type = ? AND BINARY auth_key <=> ? AND BINARY auth_secret_enc <=> ? AND auth_timeout <=> ? AND BINARY auth_url <=> ? AND BINARY auth_referer <=> ?';
const credentialParams = (basis: RenewalBasis) => [
  basis.id,
  basis.authType,
  basis.authKey,
  basis.authSecretEnc,
  basis.authTimeout,
  basis.authUrl,
  basis.authReferer,
];

/** Usage rows per statement: one UPDATE with a CASE per column keeps a flush to a few statements. */
const USAGE_CHUNK = 500;

/** The condition of `due` and `countDue`; the in-use form is one range on map_tokens_in_use. */
function dueWhere(now: number, usedSince: number | undefined): { sql: string; params: number[] } {
  return usedSince === undefined
    ? { sql: 'FROM map_tokens WHERE renew_at <= ?', params: [now] }
    : { sql: 'FROM map_tokens FORCE INDEX (map_tokens_in_use) WHERE last_used_at >= ? AND renew_at <= ?', params: [usedSince, now] };
}

const MAX_ERROR_MESSAGE_CHARS = 1024;

/**
 * A static token (of an auth type never renewed) that expires at or before `by`, passed ones included; a
 * token without a date never does.
 */
const staticExpiring = (by: number) => ({
  where: 'auth_type IN (?) AND token_expires_at IS NOT NULL AND token_expires_at <= ?',
  params: [unrenewedAuthTypes, by],
});

const tokenColumns = (token: StoredToken | null) => [token?.tokenEnc ?? null, token?.issuedAt ?? null, token?.expiresAt ?? null];
/** Writing a token sets when it is due and forgets earlier refresh failures. */
const TOKEN_SET =
  'token_enc = ?, token_issued_at = ?, token_expires_at = ?, renew_at = ?, refresh_failures = 0, refresh_error_at = NULL, refresh_error_kind = NULL, refresh_error_message = NULL';

/** The WHERE condition of a scope, and its parameters. */
function scoped(scope: Scope): { where: string; params: (string | number)[] } {
  return scope.organizationId === null
    ? { where: 'environment = ?', params: [scope.environment] }
    : { where: 'environment = ? AND organization_id = ?', params: [scope.environment, scope.organizationId] };
}

export function createMysqlMapTokenStore(db: Database, clock: Clock): MapTokenStore {
  return {
    async get(scope, id) {
      const { where, params } = scoped(scope);
      const [row] = await db.rows(`SELECT ${COLUMNS} FROM map_tokens WHERE id = ? AND ${where}`, [id, ...params]);
      return row ? toMapTokenRow(row) : null;
    },

    async getMany(scope, ids) {
      if (!ids.length) return new Map();
      const { where, params } = scoped(scope);
      const rows = await db.rows(`SELECT ${COLUMNS} FROM map_tokens WHERE id IN (?) AND ${where}`, [ids, ...params]);
      return new Map(rows.map((row) => [num(row.id), toMapTokenRow(row)]));
    },

    async list(scope, { limit, offset, organizationId, failing, expiringBy }) {
      const inScope = scoped(scope);
      let where = organizationId === null ? inScope.where : `${inScope.where} AND organization_id = ?`;
      const params: unknown[] = organizationId === null ? inScope.params : [...inScope.params, organizationId];
      if (failing) where += ' AND refresh_error_at IS NOT NULL';
      if (expiringBy !== undefined) {
        const expiring = staticExpiring(expiringBy);
        where += ` AND ${expiring.where}`;
        params.push(...expiring.params);
      }
      const rows = await db.rows(`SELECT ${COLUMNS} FROM map_tokens WHERE ${where} ORDER BY id LIMIT ? OFFSET ?`, [
        ...params,
        limit,
        offset,
      ]);
      const count = await db.one(`SELECT COUNT(*) AS total FROM map_tokens WHERE ${where}`, params);
      return { rows: rows.map(toMapTokenRow), total: num(count.total) };
    },

    async writeBatch(writes: MapTokenWrite[], audit: AuditContext) {
      return db.transaction(async (conn) => {
        const now = clock.now();
        const ids: number[] = [];
        for (const write of writes) {
          const f = write.fields;
          let id: number;
          if (write.kind === 'create') {
            const result = await db.execute(
              `INSERT INTO map_tokens (environment, organization_id, auth_type, auth_key, auth_secret_enc, auth_timeout, auth_url, auth_referer,
                 server_url, token_enc, token_issued_at, token_expires_at, renew_at, version, created_at, updated_at, last_used_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
              [audit.environment, ...fieldColumns(f), ...[...tokenColumns(write.token), authTypeOf(f).renewAt(write.token), now, now, now]],
              conn,
            );
            id = result.insertId;
          } else {
            const keepToken = write.token === undefined;
            const result = await db.execute(
              `UPDATE map_tokens SET organization_id = ?, auth_type = ?, auth_key = ?, auth_secret_enc = ?, auth_timeout = ?, auth_url = ?, auth_referer = ?, server_url = ?,
                 ${keepToken ? '' : `${TOKEN_SET},`} version = version + 1, updated_at = ?, last_used_at = GREATEST(last_used_at, ?)
               WHERE id = ? AND environment = ? AND version = ?`,
              [
                ...fieldColumns(f),
                ...(keepToken ? [] : [...tokenColumns(write.token ?? null), authTypeOf(f).renewAt(write.token ?? null)]),
                ...[now, now, write.id, audit.environment, write.expectedVersion],
              ],
              conn,
            );
            if (result.affectedRows !== 1) {
              const [found] = await db.rows(
                'SELECT version FROM map_tokens WHERE id = ? AND environment = ?',
                [write.id, audit.environment],
                conn,
              );
              throw found ? new ConflictError(conflictMessage(write.id)) : new NotFoundError(`Map token ${write.id} was not found.`);
            }
            id = write.id;
          }
          ids.push(id);
          await insertAudit(db, conn, audit, write.kind, 'map_token', id, now);
        }
        const rows = await db.rows(`SELECT ${COLUMNS} FROM map_tokens WHERE id IN (?)`, [ids], conn);
        const byId = new Map(rows.map((row) => [num(row.id), toMapTokenRow(row)]));
        // every id was written just now in this transaction
        return ids.map((id) => byId.get(id) as MapTokenRow);
      });
    },

    async delete(scope, id, audit) {
      const { where, params } = scoped(scope);
      return db.transaction(async (conn) => {
        const result = await db.execute(`DELETE FROM map_tokens WHERE id = ? AND ${where}`, [id, ...params], conn);
        if (result.affectedRows !== 1) return false;
        await insertAudit(db, conn, audit, 'delete', 'map_token', id, clock.now());
        return true;
      });
    },

    async resealAll(reseal) {
      let replaced = 0;
      const rows = await db.rows(
        'SELECT id, auth_secret_enc, token_enc FROM map_tokens WHERE auth_secret_enc IS NOT NULL OR token_enc IS NOT NULL',
      );
      for (const row of rows) {
        for (const column of ['auth_secret_enc', 'token_enc'] as const) {
          const sealed = row[column] as string | null;
          const next = sealed === null ? null : reseal(sealed);
          if (next === null) continue;
          // only if nobody replaced the value meanwhile (a refresh, a PUT)
          const result = await db.execute(`UPDATE map_tokens SET ${column} = ? WHERE id = ? AND ${column} = ?`, [next, row.id, sealed]);
          replaced += result.affectedRows;
        }
      }
      return replaced;
    },

    async saveToken(basis, token, renewAt, forcedAt) {
      const result = await db.execute(
        `UPDATE map_tokens SET ${TOKEN_SET}, forced_renewal_at = COALESCE(?, forced_renewal_at) WHERE ${SAME_CREDENTIALS}`,
        [...tokenColumns(token), renewAt, forcedAt ?? null, ...credentialParams(basis)],
      );
      return result.affectedRows === 1;
    },

    async recordRefreshFailure(basis, failure, failures, retryAt, forcedAt) {
      const result = await db.execute(
        `UPDATE map_tokens SET renew_at = ?, refresh_failures = ?, refresh_error_at = ?, refresh_error_kind = ?, refresh_error_message = ?,
           forced_renewal_at = COALESCE(?, forced_renewal_at)
         WHERE ${SAME_CREDENTIALS}`,
        [
          ...[retryAt, failures, failure.at, failure.kind, failure.message.slice(0, MAX_ERROR_MESSAGE_CHARS), forcedAt ?? null],
          ...credentialParams(basis),
        ],
      );
      return result.affectedRows === 1;
    },

    async due(now, limit, usedSince) {
      const where = dueWhere(now, usedSince);
      const rows = await db.rows(`SELECT id, environment ${where.sql} ORDER BY renew_at LIMIT ?`, [...where.params, limit]);
      return rows.map((row) => ({ id: num(row.id), environment: row.environment }));
    },

    async countDue(now, usedSince) {
      const where = dueWhere(now, usedSince);
      const row = await db.one(`SELECT COUNT(*) AS due ${where.sql}`, where.params);
      return num(row.due);
    },

    async addUsage(deltas) {
      for (let start = 0; start < deltas.length; start += USAGE_CHUNK) {
        const chunk = deltas.slice(start, start + USAGE_CHUNK);
        const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
        const ids = chunk.map((delta) => delta.id);
        const reads = chunk.flatMap((delta) => [delta.id, delta.reads]);
        const lastReads = chunk.flatMap((delta) => [delta.id, delta.lastReadAt]);
        await db.execute(
          `UPDATE map_tokens SET read_count = read_count + CASE id ${cases} END,
             last_read_at = GREATEST(COALESCE(last_read_at, 0), CASE id ${cases} END),
             last_used_at = GREATEST(last_used_at, CASE id ${cases} END)
           WHERE id IN (?)`,
          [...reads, ...lastReads, ...lastReads, ids],
        );
      }
    },

    async countFailing() {
      const row = await db.one('SELECT COUNT(*) AS failing FROM map_tokens WHERE refresh_error_at IS NOT NULL');
      return num(row.failing);
    },

    async countStaticExpiring(by) {
      const expiring = staticExpiring(by);
      const row = await db.one(`SELECT COUNT(*) AS expiring FROM map_tokens WHERE ${expiring.where}`, expiring.params);
      return num(row.expiring);
    },
  };
}
