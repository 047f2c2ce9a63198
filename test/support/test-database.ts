import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { migrate } from '../../src/stores/mysql/migrate';
import { mysqlTestUrl } from './mysql-url';

export interface TestDatabase {
  url: string;
  name: string;
  /** Every row of every table, as text: for "no plaintext secret anywhere" checks. */
  dump(): Promise<string>;
  query<T = mysql.RowDataPacket[]>(sql: string, params?: unknown[]): Promise<T>;
  /** Empties the tables a test writes (map tokens, keys, audit), so that each test starts clean. */
  clear(): Promise<void>;
  drop(): Promise<void>;
}

/** A database of its own for one test file, migrated, dropped afterwards. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `mtp_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = `${mysqlTestUrl()}/${name}`;
  const admin = await mysql.createConnection({ uri: mysqlTestUrl() });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  if (options.migrate !== false) await migrate(url);
  const conn = await mysql.createConnection({ uri: url });
  return {
    url,
    name,
    async query<T>(sql: string, params: unknown[] = []) {
      const [rows] = await conn.query(sql, params);
      return rows as T;
    },
    async clear() {
      for (const table of ['map_tokens', 'api_keys', 'audit_events']) await conn.query(`DELETE FROM ${table}`);
    },
    async dump() {
      const [tables] = await conn.query<mysql.RowDataPacket[]>('SHOW TABLES');
      const parts: string[] = [];
      for (const row of tables) {
        const table = Object.values(row)[0] as string;
        const [rows] = await conn.query(`SELECT * FROM ${mysql.escapeId(table)}`);
        parts.push(`${table}: ${JSON.stringify(rows)}`);
      }
      return parts.join('\n');
    },
    async drop() {
      await conn.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}
