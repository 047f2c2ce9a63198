import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { projectRoot } from '../../project-root';
import { mapDriverError } from './database';

const LOCK_NAME = 'map_token_proxy_migrations';
const LOCK_TIMEOUT_SECONDS = 60;

/**
 * Applies the pending files of sql/ in name order, each once, recorded in schema_migrations.
 * A MySQL named lock makes this safe when several instances start at the same moment; the database
 * itself is created when missing. Returns the names applied by this call.
 */
export async function migrate(url: string, sqlDir = join(projectRoot(), 'sql')): Promise<string[]> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  await createDatabaseIfMissing(url, database);
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ uri: url, multipleStatements: true, connectTimeout: 5000 });
    const [[lock]] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS acquired', [LOCK_NAME, LOCK_TIMEOUT_SECONDS]);
    if (lock?.acquired !== 1) throw new Error(`could not take the migration lock within ${LOCK_TIMEOUT_SECONDS} s`);
    await conn.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(255) NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL) ENGINE=InnoDB',
    );
    const [done] = await conn.query<mysql.RowDataPacket[]>('SELECT name FROM schema_migrations');
    const applied = new Set(done.map((row) => row.name as string));
    const pending = readdirSync(sqlDir)
      .filter((name) => /^\d+_[\w-]+\.sql$/.test(name) && !applied.has(name))
      .sort();
    for (const name of pending) {
      await conn.query(readFileSync(join(sqlDir, name), 'utf8'));
      await conn.query('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)', [name, Date.now()]);
    }
    await conn.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    return pending;
  } catch (error) {
    throw error instanceof Error && !('sqlMessage' in error) && !('code' in error) ? error : mapDriverError(error);
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

async function createDatabaseIfMissing(url: string, database: string): Promise<void> {
  const server = new URL(url);
  server.pathname = '/';
  const conn = await mysql.createConnection({ uri: server.toString(), connectTimeout: 5000 }).catch((error) => {
    throw mapDriverError(error);
  });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } catch {
    // no CREATE privilege: fine when the database exists; the connection below says so when it does not
  } finally {
    await conn.end().catch(() => undefined);
  }
}
