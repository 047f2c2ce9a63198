import mysql, { type Pool, type PoolConnection, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { StoreUnavailableError } from '../../errors';

/** Per-statement bound, so that a hung server gives a 503 within seconds instead of a hung request. */
export const QUERY_TIMEOUT_MS = 4000;
const CONNECT_TIMEOUT_MS = 3000;
/**
 * After a call finds MySQL unreachable, every call fails at once for this long instead of waiting out
 * its own timeout: a request that makes several calls (a key lookup, then its work) stays within one
 * timeout of 503, and a hung server does not pile up waiting requests.
 */
const FAIL_FAST_MS = 1000;

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
  'POOL_WAIT_TIMEOUT',
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

export interface PoolStats {
  inUse: number;
  idle: number;
  waiting: number;
}

/** A command that timed out stays queued on its connection and would stall every later one. */
function leavesConnectionUnusable(error: unknown): boolean {
  return (error as { code?: string }).code === 'PROTOCOL_SEQUENCE_TIMEOUT' || (error as { fatal?: boolean }).fatal === true;
}

export class Database {
  private unreachableUntil = 0;

  /**
   * `lockPool` holds the connections that named locks (GET_LOCK) live on, apart from `pool`: a lock
   * holder runs its statements on `pool`, so holders never wait for connections that other holders
   * (or callers queued for a lock) keep busy.
   */
  constructor(
    readonly pool: Pool,
    private readonly lockPool: Pool,
  ) {}

  /** `lockConnectionLimit`: named locks held at once (a renewal holds one through its ArcGIS call). */
  static connect(url: string, connectionLimit = 10, lockConnectionLimit = connectionLimit): Database {
    const open = (connectionLimit: number) => {
      const created = mysql.createPool({
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
      created.on('connection', (conn) => conn.on('error', () => undefined));
      return created;
    };
    return new Database(open(connectionLimit), open(lockConnectionLimit));
  }

  /** `executor`: a connection of a transaction or lock; without it, one from the pool for this statement. */
  async rows<T extends Row>(sql: string, params: unknown[] = [], executor?: PoolConnection, timeoutMs = QUERY_TIMEOUT_MS): Promise<T[]> {
    return this.query<T[]>(sql, params, executor, timeoutMs);
  }

  /** The one row of a statement that always answers one (an aggregate, GET_LOCK). */
  async one<T extends Row>(sql: string, params: unknown[] = [], executor?: PoolConnection, timeoutMs = QUERY_TIMEOUT_MS): Promise<T> {
    const [row] = await this.rows<T>(sql, params, executor, timeoutMs);
    if (!row) throw new Error(`the statement answered no row: ${sql.slice(0, 60)}`);
    return row;
  }

  async execute(sql: string, params: unknown[] = [], executor?: PoolConnection): Promise<ResultSetHeader> {
    return this.query<ResultSetHeader>(sql, params, executor, QUERY_TIMEOUT_MS);
  }

  async connection(): Promise<PoolConnection> {
    return this.take(this.pool);
  }

  /** A connection to hold a named lock on; null when every lock connection stays busy for seconds. */
  async lockConnection(): Promise<PoolConnection | null> {
    try {
      return await this.take(this.lockPool);
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === 'POOL_WAIT_TIMEOUT') return null;
      throw error;
    }
  }

  /** Connections of the main pool: in use, idle, and requests waiting for one (for the metrics). */
  poolStats(): PoolStats {
    // mysql2 exposes no counters; these fields are its pool's own bookkeeping
    const internal = this.pool.pool as unknown as {
      _allConnections?: { length: number };
      _freeConnections?: { length: number };
      _connectionQueue?: { length: number };
    };
    const all = internal._allConnections?.length ?? 0;
    const idle = internal._freeConnections?.length ?? 0;
    return { inUse: all - idle, idle, waiting: internal._connectionQueue?.length ?? 0 };
  }

  /** Maps a driver error, and remembers for FAIL_FAST_MS that MySQL is unreachable when it says so. */
  failed(error: unknown): Error {
    const mapped = mapDriverError(error);
    // every connection busy is load, not an unreachable server
    const busy = (error as { code?: string }).code === 'POOL_WAIT_TIMEOUT';
    if (mapped instanceof StoreUnavailableError && !busy)
      this.unreachableUntil = Math.max(this.unreachableUntil, Date.now() + FAIL_FAST_MS);
    return mapped;
  }

  private async take(pool: Pool): Promise<PoolConnection> {
    if (Date.now() < this.unreachableUntil) throw new StoreUnavailableError(undefined, { cause: { code: 'FAIL_FAST' } });
    try {
      return await withTimeout(pool.getConnection(), CONNECT_TIMEOUT_MS + 1000);
    } catch (error) {
      throw this.failed(error);
    }
  }

  private async query<T extends Row[] | ResultSetHeader>(
    sql: string,
    params: unknown[],
    executor: PoolConnection | undefined,
    timeoutMs: number,
  ): Promise<T> {
    const conn = executor ?? (await this.connection());
    try {
      const [result] = await conn.query<T>({ sql, timeout: timeoutMs }, params);
      if (!executor) conn.release();
      return result;
    } catch (error) {
      if (leavesConnectionUnusable(error)) conn.destroy();
      else if (!executor) conn.release();
      throw this.failed(error);
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
      // a connection whose rollback fails (or was dropped above) is in an unknown state: never reuse it
      await conn.query({ sql: 'ROLLBACK', timeout: QUERY_TIMEOUT_MS }).then(
        () => conn.release(),
        () => conn.destroy(),
      );
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end().catch(() => undefined), this.lockPool.end().catch(() => undefined)]);
  }
}

/** pool.getConnection() waits forever for a free slot; bound it so callers get a 503 instead. */
function withTimeout(promise: Promise<PoolConnection>, ms: number): Promise<PoolConnection> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(Object.assign(new Error('connection wait timeout'), { code: 'POOL_WAIT_TIMEOUT' }));
    }, ms);
  });
  // a connection that arrives after we gave up goes straight back to the pool
  promise.then(
    (conn) => timedOut && conn.release(),
    () => undefined,
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
