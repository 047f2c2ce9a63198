import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { sweepDatabases, sweepProcesses } from './stale-test-resources';
import { mysqlTestUrl } from './mysql-url';
import { MARIADBD, ThrowawayMariadb } from './throwaway-mariadb';

/** Read by global teardown (same process): the MariaDB this run started, if any. */
declare global {
  var mtpThrowawayMariadb: ThrowawayMariadb | undefined;
}

/**
 * Before any test: sweeps what earlier interrupted runs left behind, compiles the program once (tests run
 * the built CLI and server), and makes sure a MySQL-compatible server answers: the one at MYSQL_TEST_URL
 * (default 127.0.0.1:3306), else, when MYSQL_TEST_URL is not set and mariadbd is installed, a throwaway
 * MariaDB for this run. Otherwise the run fails at once with one line that says how to fix it.
 */
export default async function globalSetup(): Promise<void> {
  process.env.MTP_TEST_RUN_PID = String(process.pid);
  const swept = sweepProcesses(null);
  if (swept) process.stderr.write(`\n[test setup] ended ${swept} process(es) left by an earlier, interrupted test run\n`);

  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-if-changed.js')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  let url = mysqlTestUrl();
  const problem = await unanswered(url);
  if (problem) {
    if (process.env.MYSQL_TEST_URL || !existsSync(MARIADBD)) {
      process.stderr.write(
        `\nTests need a MySQL-compatible server: none answered at ${url.replace(/:[^:@/]*@/, ':***@')} (${problem}). ` +
          `Start one (e.g. MariaDB on 127.0.0.1:3306, user root, empty password), install mariadb-server (the tests then start ${MARIADBD} themselves), or set MYSQL_TEST_URL=mysql://user:password@host:port\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`\n[test setup] no MySQL at ${url} (${problem}): starting a throwaway MariaDB for this run\n`);
    const mariadb = new ThrowawayMariadb();
    globalThis.mtpThrowawayMariadb = mariadb;
    url = (await mariadb.start()).url;
    process.env.MYSQL_TEST_URL = url;
  }
  const dropped = await sweepDatabases(url, null);
  if (dropped.length) process.stderr.write(`[test setup] dropped ${dropped.length} database(s) left by earlier test runs\n`);
}

async function unanswered(url: string): Promise<string | null> {
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
    await conn.end();
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}
