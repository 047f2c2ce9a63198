import mysql, { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { StoreUnavailableError } from '../../errors';

/** Per-statement bound, so that a hung server gives a 503 within seconds instead of a hung request. */
const QUERY_TIMEOUT_MS = 4000;
const CONNECT_TIMEOUT_MS = 3000;

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_TIMEOUT',
  'POOL_CLOSED',
]);

/**
 * Driver errors stay inside the store: connection trouble becomes StoreUnavailableError (503),
 * anything else a plain Error without the driver's message in its text (it may quote SQL or values).
 */
export function mapDriverError(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: string }).code;
  const fatal = (error as { fatal?: boolean }).fatal === true;
  const message = (error as Error).message ?? '';
  if ((code && UNAVAILABLE_CODES.has(code)) || fatal || /timeout|closed state|Pool is closed/i.test(message)) {
    return new StoreUnavailableError(undefined, { cause: { code: code ?? 'UNKNOWN' } });
  }
  const mapped = new Error(`database error ${code ?? 'UNKNOWN'}`, { cause: { code, errno: (error as { errno?: number }).errno } });
  return mapped;
}

export type Row = RowDataPacket;
export type Executor = Pick<Pool, 'query'> | Pick<PoolConnection, 'query'>;

export class Database {
  constructor(readonly pool: Pool) {}

  static connect(url: string, connectionLimit = 10): Database {
    const pool = mysql.createPool({
      uri: url,
      connectionLimit,
      maxIdle: connectionLimit,
      connectTimeout: CONNECT_TIMEOUT_MS,
      enableKeepAlive: true,
      waitForConnections: true,
      queueLimit: 1000,
      timezone: 'Z',
      charset: 'utf8mb4',
    });
    // An idle connection that dies (server restart) reports here; the pool replaces it on next use.
    pool.on('connection', (conn) => conn.on('error', () => undefined));
    return new Database(pool);
  }

  async rows<T extends Row>(sql: string, params: unknown[] = [], executor: Executor = this.pool): Promise<T[]> {
    try {
      const [rows] = await executor.query<T[]>({ sql, timeout: QUERY_TIMEOUT_MS }, params);
      return rows;
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  async execute(sql: string, params: unknown[] = [], executor: Executor = this.pool): Promise<ResultSetHeader> {
    try {
      const [result] = await executor.query<ResultSetHeader>({ sql, timeout: QUERY_TIMEOUT_MS }, params);
      return result;
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  async connection(): Promise<PoolConnection> {
    try {
      return await withTimeout(this.pool.getConnection(), CONNECT_TIMEOUT_MS + 1000);
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    const conn = await this.connection();
    try {
      await this.execute('START TRANSACTION', [], conn);
      const result = await fn(conn);
      await this.execute('COMMIT', [], conn);
      conn.release();
      return result;
    } catch (error) {
      // a connection whose rollback fails is in an unknown state: drop it rather than reuse it
      await conn.query('ROLLBACK').then(() => conn.release(), () => conn.destroy());
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** pool.getConnection() waits forever for a free slot; bound it so callers get a 503 instead. */
function withTimeout(promise: Promise<PoolConnection>, ms: number): Promise<PoolConnection> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(Object.assign(new Error('connection wait timeout'), { code: 'ETIMEDOUT' }));
    }, ms);
  });
  // a connection that arrives after we gave up goes straight back to the pool
  promise.then((conn) => timedOut && conn.release(), () => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
