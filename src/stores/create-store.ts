import type { Clock } from '../clock';
import type { Config } from '../config';
import { createMemoryStore } from './memory/memory-store';
import { migrate } from './mysql/migrate';
import { createMysqlStore } from './mysql/mysql-store';
import type { Store } from './store';

const DEFAULT_CONNECTIONS = 10;
const LOCK_HEADROOM = 8;

/** MySQL when MYSQL_URL is set (migrations applied first, under a lock), else the embedded store. */
export async function createStore(
  config: Config,
  clock: Clock,
  options: { connectionLimit?: number } = {},
): Promise<{ store: Store; applied: string[] }> {
  if (config.mysqlUrl === null) return { store: createMemoryStore(clock), applied: [] };
  const applied = await migrate(config.mysqlUrl);
  const connectionLimit = options.connectionLimit ?? DEFAULT_CONNECTIONS;
  // every renewal in flight holds its map token's named lock (a connection) through its ArcGIS call:
  // RENEWAL_CONCURRENCY of them, plus room for renewals that reads start
  const lockConnectionLimit = Math.max(connectionLimit, config.renewalConcurrency + LOCK_HEADROOM);
  return { store: createMysqlStore(config.mysqlUrl, clock, { connectionLimit, lockConnectionLimit }), applied };
}
