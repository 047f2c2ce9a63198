import mysql from 'mysql2/promise';
import { mysqlTestUrl } from './mysql-url';

/** Fails the run at once, with one line that says how to fix it, when no MySQL server answers. */
export default async function globalSetup(): Promise<void> {
  const url = mysqlTestUrl();
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
    await conn.end();
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    process.stderr.write(
      `\nTests need a MySQL-compatible server: none answered at ${url.replace(/:[^:@/]*@/, ':***@')} (${code}). ` +
        'Start one (e.g. MariaDB on 127.0.0.1:3306, user root, empty password) or set MYSQL_TEST_URL=mysql://user:password@host:port\n',
    );
    process.exit(1);
  }
}
