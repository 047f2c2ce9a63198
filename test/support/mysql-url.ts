/** The server tests create their databases on: MYSQL_TEST_URL, default the local MariaDB. */
export function mysqlTestUrl(): string {
  const url = new URL(process.env.MYSQL_TEST_URL || 'mysql://root@127.0.0.1:3306');
  url.pathname = '/';
  return url.toString().replace(/\/$/, '');
}
