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

  async drop(): Promise<void> {
    try {
      await this.conn.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(this.name)}`);
    } finally {
      await this.conn.end();
    }
  }
}
