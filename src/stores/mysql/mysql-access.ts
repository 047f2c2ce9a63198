import type { Clock } from '../../clock';
import { ConflictError, NotFoundError, tooManySecretsMessage } from '../../errors';
import type { CallerRules, Role } from '../../domain';
import type { ClientRow, ClientSecretRow, ClientStore, KeyRow, KeyStore } from '../store';
import type { Database, Row } from './database';
import { insertAudit } from './mysql-audit';

const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
/** Client ids and secret ids are binary columns (sql/004), which the driver reads as Buffers. */
const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));

/** The origin binding and read limit of a key or client row (sql/008): origins as a JSON array. */
const toRules = (row: Row): CallerRules => ({
  allowedOrigins: row.allowed_origins === null || row.allowed_origins === undefined ? null : (JSON.parse(row.allowed_origins) as string[]),
  rateLimit: numOrNull(row.rate_limit),
});
const rulesColumns = (rules: CallerRules) => [rules.allowedOrigins === null ? null : JSON.stringify(rules.allowedOrigins), rules.rateLimit];

/** Uses written per statement: a few thousand keys a minute stay well under max_allowed_packet. */
const USES_PER_STATEMENT = 500;

const toKey = (row: Row): KeyRow => ({
  id: Number(row.id),
  environment: row.environment,
  role: row.role as Role,
  organizationId: numOrNull(row.organization_id),
  description: row.description,
  keyHash: row.key_hash,
  createdAt: Number(row.created_at),
  lastUsedAt: numOrNull(row.last_used_at),
  ...toRules(row),
});

const toClient = (row: Row): ClientRow => ({
  clientId: text(row.client_id),
  environment: row.environment,
  role: row.role as Role,
  organizationId: numOrNull(row.organization_id),
  description: row.description,
  createdAt: Number(row.created_at),
  ...toRules(row),
});

const toSecret = (row: Row): ClientSecretRow => ({
  id: text(row.id),
  clientId: text(row.client_id),
  description: row.description,
  secretHash: row.secret_hash,
  createdAt: Number(row.created_at),
});

export function createMysqlKeyStore(db: Database, clock: Clock): KeyStore {
  const byId = async (id: number) =>
    (await db.rows('SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL', [id])).map(toKey)[0] ?? null;
  return {
    async create(key, audit) {
      return db.transaction(async (conn) => {
        const now = clock.now();
        const result = await db.execute(
          `INSERT INTO api_keys (environment, role, organization_id, description, key_hash, created_at, allowed_origins, rate_limit)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [key.environment, key.role, key.organizationId, key.description, key.keyHash, now, ...rulesColumns(key)],
          conn,
        );
        await insertAudit(db, conn, audit, 'create', 'key', result.insertId, now);
        return { ...key, id: result.insertId, createdAt: now, lastUsedAt: null };
      });
    },
    async findByHash(keyHash) {
      const [row] = await db.rows('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL', [keyHash]);
      return row ? toKey(row) : null;
    },
    async list(environment) {
      return (await db.rows('SELECT * FROM api_keys WHERE environment = ? AND revoked_at IS NULL ORDER BY id', [environment])).map(toKey);
    },
    async revoke(id, audit) {
      const key = await byId(id);
      if (!key) return null;
      return db.transaction(async (conn) => {
        const now = clock.now();
        const result = await db.execute('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id], conn);
        if (result.affectedRows !== 1) return null;
        await insertAudit(db, conn, { ...audit, environment: key.environment }, 'delete', 'key', id, now);
        return key;
      });
    },
    async recordUses(uses) {
      for (let start = 0; start < uses.length; start += USES_PER_STATEMENT) {
        const chunk = uses.slice(start, start + USES_PER_STATEMENT);
        await db.execute(
          `UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, 0), CASE id ${chunk.map(() => 'WHEN ? THEN ?').join(' ')} END)
           WHERE id IN (${chunk.map(() => '?').join(', ')})`,
          [...chunk.flatMap(({ id, at }) => [id, at]), ...chunk.map(({ id }) => id)],
        );
      }
    },
  };
}

export function createMysqlClientStore(db: Database, clock: Clock): ClientStore {
  const insertSecret = (secret: Omit<ClientSecretRow, 'createdAt'>, now: number, conn: Parameters<typeof insertAudit>[1]) =>
    db.execute(
      'INSERT INTO client_secrets (id, client_id, description, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      [secret.id, secret.clientId, secret.description, secret.secretHash, now],
      conn,
    );
  return {
    async create(client, secret, audit) {
      return db.transaction(async (conn) => {
        const now = clock.now();
        await db.execute(
          `INSERT INTO clients (client_id, environment, role, organization_id, description, created_at, allowed_origins, rate_limit)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [client.clientId, client.environment, client.role, client.organizationId, client.description, now, ...rulesColumns(client)],
          conn,
        );
        await insertSecret(secret, now, conn);
        await insertAudit(db, conn, audit, 'create', 'client', client.clientId, now);
        await insertAudit(db, conn, audit, 'create', 'client_secret', secret.id, now);
        return { ...client, createdAt: now };
      });
    },
    async get(clientId) {
      return (await db.rows('SELECT * FROM clients WHERE client_id = ?', [clientId])).map(toClient)[0] ?? null;
    },
    async list(environment) {
      return (await db.rows('SELECT * FROM clients WHERE environment = ? ORDER BY created_at, client_id', [environment])).map(toClient);
    },
    async delete(clientId, audit) {
      return db.transaction(async (conn) => {
        const [row] = await db.rows('SELECT * FROM clients WHERE client_id = ? FOR UPDATE', [clientId], conn);
        if (!row) return null;
        await db.execute('DELETE FROM clients WHERE client_id = ?', [clientId], conn);
        await insertAudit(db, conn, { ...audit, environment: row.environment }, 'delete', 'client', clientId, clock.now());
        return toClient(row);
      });
    },
    async addSecret(secret, audit, maxLive = Infinity) {
      return db.transaction(async (conn) => {
        const [client] = await db.rows('SELECT client_id FROM clients WHERE client_id = ? FOR UPDATE', [secret.clientId], conn);
        if (!client) throw new NotFoundError('The client was not found.');
        // the client's row lock above serialises concurrent creates, so the count cannot be overtaken
        const { live } = await db.one('SELECT COUNT(*) AS live FROM client_secrets WHERE client_id = ?', [secret.clientId], conn);
        if (Number(live) >= maxLive) throw new ConflictError(tooManySecretsMessage(maxLive));
        const now = clock.now();
        await insertSecret(secret, now, conn);
        await insertAudit(db, conn, audit, 'create', 'client_secret', secret.id, now);
        return { ...secret, createdAt: now };
      });
    },
    async getSecret(id) {
      return (await db.rows('SELECT * FROM client_secrets WHERE id = ?', [id])).map(toSecret)[0] ?? null;
    },
    async listSecrets(clientId) {
      return (await db.rows('SELECT * FROM client_secrets WHERE client_id = ? ORDER BY created_at, id', [clientId])).map(toSecret);
    },
    async deleteSecret(clientId, id, audit) {
      return db.transaction(async (conn) => {
        const result = await db.execute('DELETE FROM client_secrets WHERE id = ? AND client_id = ?', [id, clientId], conn);
        if (result.affectedRows !== 1) return false;
        await insertAudit(db, conn, audit, 'delete', 'client_secret', id, clock.now());
        return true;
      });
    },
  };
}
