import { runCli } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY } from '../support/harness';

/**
 * SPEC "Command line": `keys create` and `clients create` take `--allowed-origin O` (repeatable) and
 * `--rate-limit N`; `keys list` shows allowedOrigins, rateLimit and lastUsedAt. Bad values are a usage
 * error (exit 2) naming the option, and create nothing.
 */

let db: TestDatabase;
let env: Record<string, string>;

// each command is a process of its own: generous for a busy machine
jest.setTimeout(60_000);

beforeAll(async () => {
  db = await createTestDatabase();
  env = { MYSQL_URL: db.url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY };
});
afterAll(() => db.drop());

/** `<command> create --environment <environment> --role reader <extra> --json` */
const create = (command: 'keys' | 'clients', environment: string, extra: string[]) =>
  runCli([command, 'create', '--environment', environment, '--role', 'reader', ...extra, '--json'], env);

const count = async (table: string) => Number((await db.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n);

describe('keys and clients with an origin binding and a read limit', () => {
  it('keys create keeps every origin as browsers send it (lower case, no default port) and the limit; keys list shows them', async () => {
    const created = await create('keys', 'rules-env', [
      '--allowed-origin',
      'HTTPS://Maps.Example.com:443',
      '--allowed-origin',
      'http://localhost:8080',
      '--rate-limit',
      '120',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ allowedOrigins: ['https://maps.example.com', 'http://localhost:8080'], rateLimit: 120 });

    const listed = JSON.parse((await runCli(['keys', 'list', '--environment', 'rules-env', '--json'], env)).stdout);
    expect(listed).toEqual([
      expect.objectContaining({
        id: key.id,
        allowedOrigins: ['https://maps.example.com', 'http://localhost:8080'],
        rateLimit: 120,
        lastUsedAt: null,
      }),
    ]);
    const table = (await runCli(['keys', 'list', '--environment', 'rules-env'], env)).stdout.trim().split('\n');
    expect(table[0]).toBe('id\trole\torganization\tcreatedAt\tlastUsedAt\trateLimit\tallowedOrigins\tdescription');
    expect(table[1]).toMatch(new RegExp(`^${key.id}\treader\t-\t\\S+Z\tnever\t120\thttps://maps.example.com,http://localhost:8080\t?$`));

    await db.query('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [Date.parse('2026-03-01T12:00:00.000Z'), key.id]);
    const used = JSON.parse((await runCli(['keys', 'list', '--environment', 'rules-env', '--json'], env)).stdout);
    expect(used[0].lastUsedAt).toBe('2026-03-01T12:00:00.000Z');
  });

  it('a key created without the options is bound to nothing and limited by nothing', async () => {
    const created = JSON.parse((await create('keys', 'plain-env', [])).stdout);
    expect(created).toMatchObject({ allowedOrigins: null, rateLimit: null });
  });

  it('clients create takes the same options and clients list shows them', async () => {
    const created = await create('clients', 'rules-env', ['--allowed-origin', 'https://app.example.com', '--rate-limit', '5']);
    expect(created.code).toBe(0);
    const client = JSON.parse(created.stdout);
    expect(client).toMatchObject({ allowedOrigins: ['https://app.example.com'], rateLimit: 5 });
    const listed = JSON.parse((await runCli(['clients', 'list', '--environment', 'rules-env', '--json'], env)).stdout);
    expect(listed).toEqual([
      expect.objectContaining({ client_id: client.client_id, allowedOrigins: ['https://app.example.com'], rateLimit: 5 }),
    ]);
  });

  const origins = (n: number) => Array.from({ length: n }, (_, i) => ['--allowed-origin', `https://o${i}.example.com`]).flat();
  it.each([
    ['51 origins', origins(51), '--allowed-origin: at most 50 origins'],
    [
      'an origin of 2049 characters',
      ['--allowed-origin', `https://${'a'.repeat(2029)}.example.com`],
      '--allowed-origin: an origin may have at most 2048',
    ],
    [
      'an origin with a path',
      ['--allowed-origin', 'https://maps.example.com/floors'],
      '--allowed-origin: "https://maps.example.com/floors" is not an origin',
    ],
    [
      'an origin ending in /',
      ['--allowed-origin', 'https://maps.example.com/'],
      '--allowed-origin: "https://maps.example.com/" is not an origin',
    ],
    ['another scheme', ['--allowed-origin', 'ftp://maps.example.com'], '--allowed-origin: "ftp://maps.example.com" is not an origin'],
    ['no scheme', ['--allowed-origin', 'maps.example.com'], '--allowed-origin: "maps.example.com" is not an origin'],
    [
      'a bad port',
      ['--allowed-origin', 'https://maps.example.com:99999'],
      '--allowed-origin: "https://maps.example.com:99999" is not an origin',
    ],
    ['a limit of 0', ['--rate-limit', '0'], '--rate-limit: the limit must be a whole number of reads a minute from 1 to 1000000, not "0"'],
    ['a limit over a million', ['--rate-limit', '1000001'], '--rate-limit: the limit must be a whole number'],
    ['a limit that is not a whole number', ['--rate-limit', '1.5'], '--rate-limit: the limit must be a whole number'],
  ])('with %s, keys create and clients create exit 2 naming the option, and create nothing', async (_name, extra, message) => {
    const before = [await count('api_keys'), await count('clients')];
    for (const command of ['keys', 'clients'] as const) {
      const result = await create(command, 'bad-env', extra);
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
      expect(result.stderr.split('\n')[0]).toContain(`map-token-proxy: ${message}`);
    }
    expect([await count('api_keys'), await count('clients')]).toEqual(before);
  });

  it('50 origins of 2048 characters each are accepted', async () => {
    const long = Array.from({ length: 50 }, (_, i) => ['--allowed-origin', `https://${`o${i}-`.padEnd(2028, 'x')}.example.com`]).flat();
    const created = await runCli(
      ['keys', 'create', '--environment', 'long-env', '--role', 'reader', ...long, '--rate-limit', '1000000', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key.allowedOrigins).toHaveLength(50);
    expect(key.allowedOrigins.every((origin: string) => origin.length === 2048)).toBe(true);
    expect(key.rateLimit).toBe(1_000_000);
  });
});
