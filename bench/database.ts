import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** A throwaway database on the bench's MySQL/MariaDB server, dropped by `drop()`. */
export class BenchDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly conn: mysql.Connection,
  ) {}

  /** Creates `mtp_bench_<random>` on the server of `serverUrl` (any database in that URL is ignored). */
  static async create(serverUrl: string): Promise<BenchDatabase> {
    const name = `mtp_bench_${randomBytes(6).toString('hex')}`;
    const server = new URL(serverUrl);
    server.pathname = '/';
    const conn = await mysql.createConnection({ uri: server.toString() });
    try {
      await conn.query(`CREATE DATABASE ${mysql.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      await conn.query(`USE ${mysql.escapeId(name)}`);
    } catch (error) {
      await conn.end();
      throw error;
    }
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return new BenchDatabase(name, url.toString(), conn);
  }

  async version(): Promise<string> {
    const [rows] = await this.conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
    return String(rows[0]?.version);
  }

  /** Makes the stored token of map token `id` expired, as if its lifetime had run out a second ago. */
  async expireToken(id: number): Promise<void> {
    const [result] = await this.conn.execute<mysql.ResultSetHeader>('UPDATE map_tokens SET token_expires_at = ? WHERE id = ?', [
      Date.now() - 1000,
      id,
    ]);
    if (result.affectedRows !== 1) throw new Error(`map token ${id} is not in ${this.name}`);
  }

  /**
   * Stores `count` copies of map token `id` (same sealed credentials and token) that nobody has read or
   * written since `lastUsedAt` and whose token expired then: the idle tokens of a large deployment, all
   * past their refresh point (due, for REFRESH_AHEAD=all), inserted in chunks.
   */
  async cloneIdle(id: number, count: number, lastUsedAt: number): Promise<void> {
    for (let done = 0; done < count; done += 1000) {
      const chunk = Math.min(1000, count - done);
      const [result] = await this.conn.query<mysql.ResultSetHeader>(
        `INSERT INTO map_tokens (environment, organization_id, auth_type, auth_key, auth_secret_enc, auth_timeout, auth_url,
           token_enc, token_issued_at, token_expires_at, renew_at, version, created_at, updated_at, last_used_at)
         WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         SELECT environment, organization_id, auth_type, CONCAT(auth_key, '-idle-', ? + i), auth_secret_enc, auth_timeout, auth_url,
           token_enc, ? - 60000, ?, ? - 24000, 1, ?, ?, ?
         FROM n JOIN map_tokens ON map_tokens.id = ?`,
        [chunk, done, ...[lastUsedAt, lastUsedAt, lastUsedAt], ...[lastUsedAt, lastUsedAt, lastUsedAt], id],
      );
      if (result.affectedRows !== chunk) throw new Error(`stored ${result.affectedRows} idle copies of map token ${id}, not ${chunk}`);
    }
  }

  async deleteMapTokens(): Promise<void> {
    await this.conn.query('DELETE FROM map_tokens');
  }

  async drop(): Promise<void> {
    try {
      await this.conn.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(this.name)}`);
    } finally {
      await this.conn.end();
    }
  }
}
