import type { Clock } from '../clock';
import type { Config } from '../config';
import { createMemoryStore } from './memory/memory-store';
import { migrate } from './mysql/migrate';
import { createMysqlStore } from './mysql/mysql-store';
import type { Store } from './store';

/** MySQL when MYSQL_URL is set (migrations applied first, under a lock), else the embedded store. */
export async function createStore(
  config: Config,
  clock: Clock,
  options: { connectionLimit?: number } = {},
): Promise<{ store: Store; applied: string[] }> {
  if (config.mysqlUrl === null) return { store: createMemoryStore(clock), applied: [] };
  const applied = await migrate(config.mysqlUrl);
  return { store: createMysqlStore(config.mysqlUrl, clock, options), applied };
}
