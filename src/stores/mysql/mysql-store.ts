import { createHash } from 'node:crypto';
import type { Clock } from '../../clock';
import type { Store } from '../store';
import { Database, QUERY_TIMEOUT_MS } from './database';
import { createMysqlClientStore, createMysqlKeyStore } from './mysql-access';
import { createMysqlMapTokenStore } from './mysql-map-tokens';

const PING_TIMEOUT_MS = 2000;

/** The production store: one mysql2 pool, shared by every instance through the database itself. */
export function createMysqlStore(
  url: string,
  clock: Clock,
  options: { connectionLimit?: number; lockConnectionLimit?: number } = {},
): Store & { database: Database } {
  const db = Database.connect(url, options.connectionLimit, options.lockConnectionLimit);
  const lockPrefix = createHash('sha256').update(new URL(url).pathname).digest('hex').slice(0, 12);
  return {
    kind: 'mysql',
    database: db,
    mapTokens: createMysqlMapTokenStore(db, clock),
    keys: createMysqlKeyStore(db, clock),
    clients: createMysqlClientStore(db, clock),
    async hasCredentials() {
      const row = await db.one(
        'SELECT EXISTS(SELECT 1 FROM api_keys WHERE revoked_at IS NULL) OR EXISTS(SELECT 1 FROM clients) AS found',
        [],
      );
      return Number(row.found) === 1;
    },
    poolStats: () => db.poolStats(),

    async withLock(name, timeoutSeconds, fn) {
      // GET_LOCK belongs to a connection: hold one (from the lock pool) for the lock's lifetime, run `fn` on the pool.
      // Lock names are server-wide: prefix them with the database, so deployments sharing a server never wait on each other.
      const lockName = `${lockPrefix}:${name}`.slice(0, 64);
      const conn = await db.lockConnection();
      // every lock connection busy for seconds (a crowd of refreshes): go alone, as when GET_LOCK times out
      if (!conn) return fn(false);
      let acquired = false;
      try {
        // the statement waits for the lock: bound it by the lock's own timeout, not the usual one
        const row = await db.one(
          'SELECT GET_LOCK(?, ?) AS acquired',
          [lockName, timeoutSeconds],
          conn,
          timeoutSeconds * 1000 + QUERY_TIMEOUT_MS,
        );
        acquired = Number(row.acquired) === 1;
        return await fn(acquired);
      } finally {
        const released = acquired ? db.execute('DO RELEASE_LOCK(?)', [lockName], conn) : Promise.resolve();
        // a connection that cannot release its lock must close, which frees the lock server-side
        await released.then(
          () => conn.release(),
          () => conn.destroy(),
        );
      }
    },

    async ping() {
      const conn = await db.connection();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          conn.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(Object.assign(new Error('ping timeout'), { code: 'ETIMEDOUT' })), PING_TIMEOUT_MS);
          }),
        ]);
        conn.release();
      } catch (error) {
        conn.destroy();
        throw db.failed(error);
      } finally {
        clearTimeout(timer);
      }
    },

    close: () => db.close(),
  };
}
