import { sweepDatabases, sweepProcesses } from './stale-test-resources';
import { mysqlTestUrl } from './mysql-url';

/**
 * After the run, passed or failed: ends every process this run's tests started and drops every database
 * they created, then stops the throwaway MariaDB if global setup started one.
 */
export default async function globalTeardown(): Promise<void> {
  const mariadb = globalThis.mtpThrowawayMariadb;
  sweepProcesses(process.pid, (entry) => entry.pid !== mariadb?.pid);
  if (mariadb) {
    await mariadb.stop();
    return;
  }
  await sweepDatabases(mysqlTestUrl(), process.pid);
}
