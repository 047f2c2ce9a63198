import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../src/stores/mysql/migrate';
import { hashSecret } from '../../src/crypto/secrets';
import { SecretBox } from '../../src/crypto/secret-box';
import { runCli } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY } from '../support/harness';

let db: TestDatabase;
let env: Record<string, string>;

// each command is a process of its own: generous for a busy machine
jest.setTimeout(60_000);

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  env = { MYSQL_URL: db.url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY };
});
afterAll(() => db.drop());

describe('migrations', () => {
  it('apply once when several instances start together, under the migration lock', async () => {
    const all = readdirSync(join(__dirname, '../../sql'))
      .filter((name) => name.endsWith('.sql'))
      .sort();
    expect(all[0]).toBe('001_initial_schema.sql');
    const results = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    expect(results.flat()).toEqual(all);
    const rows = await db.query<{ name: string }[]>('SELECT name FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(all);
  });

  it('`migrate --json` prints exactly one JSON line naming what it applied', async () => {
    const result = await runCli(['migrate', '--json'], env);
    expect(result).toMatchObject({ code: 0, stdout: '{"applied":[]}\n' });
  });
});

describe('command line', () => {
  it('creates, lists and revokes keys, printing one JSON line each and storing only the hash', async () => {
    const created = await runCli(
      ['keys', 'create', '--environment', 'cli-env', '--role', 'reader', '--organization', '12', '--description', 'kiosk', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stdout.trim().split('\n')).toHaveLength(1);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ environment: 'cli-env', role: 'reader', organization_ID: 12 });
    expect(key.key).toMatch(/^mtp_/);
    const [row] = await db.query<{ key_hash: string }[]>('SELECT key_hash FROM api_keys WHERE id = ?', [key.id]);
    expect(row.key_hash).toBe(hashSecret(key.key));
    expect(await db.dump()).not.toContain(key.key);

    const listed = await runCli(['keys', 'list', '--environment', 'cli-env', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: key.id, role: 'reader', organization_ID: 12, description: 'kiosk' }),
    ]);
    expect(listed.stdout).not.toContain(key.key);

    const revoked = await runCli(['keys', 'revoke', '--id', String(key.id), '--json'], env);
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: key.id });
    expect(JSON.parse((await runCli(['keys', 'list', '--environment', 'cli-env', '--json'], env)).stdout)).toEqual([]);
  });

  it('answers a command about a key or client that does not exist with exit code 1 and one line, not the usage', async () => {
    for (const [args, line] of [
      [['keys', 'revoke', '--id', '99999'], 'map-token-proxy: no active key with id 99999'],
      [['clients', 'delete', '--id', 'no-such-client', '--json'], 'map-token-proxy: no client no-such-client'],
    ]) {
      const result = await runCli(args as string[], env);
      expect({ args, code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({
        args,
        code: 1,
        stderr: `${line}\n`,
        stdout: '',
      });
    }
  });

  it('works on a fresh database: it applies the pending migrations first and says so on stderr', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const freshEnv = { ...env, MYSQL_URL: fresh.url };
      const created = await runCli(['keys', 'create', '--environment', 'first', '--role', 'admin', '--json'], freshEnv);
      expect(created.code).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ environment: 'first', role: 'admin' });
      expect(created.stderr).toMatch(/^map-token-proxy: applied database migrations 001_initial_schema\.sql, /);
      const applied = await fresh.query<{ name: string }[]>('SELECT name FROM schema_migrations ORDER BY name');
      expect(applied.map((row) => row.name)).toEqual(
        readdirSync(join(__dirname, '../../sql'))
          .filter((name) => name.endsWith('.sql'))
          .sort(),
      );
      // the next command finds nothing to apply and says nothing about it
      const listed = await runCli(['keys', 'list', '--environment', 'first', '--json'], freshEnv);
      expect(listed).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await fresh.drop();
    }
  });

  it('creates a client with its first secret, shown once and stored as a hash', async () => {
    const result = await runCli(['clients', 'create', '--environment', 'cli-env', '--role', 'admin', '--json'], env);
    expect(result.code).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(client).toMatchObject({ environment: 'cli-env', role: 'admin' });
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(await db.dump()).not.toContain(client.client_secret);
    const listed = JSON.parse((await runCli(['clients', 'list', '--environment', 'cli-env', '--json'], env)).stdout);
    expect(listed).toEqual([expect.objectContaining({ client_id: client.client_id, role: 'admin' })]);
    expect(JSON.parse((await runCli(['clients', 'delete', '--id', client.client_id, '--json'], env)).stdout)).toEqual({
      deleted: client.client_id,
    });
  });

  it('re-seals stored secrets and tokens under a new first ENCRYPTION_KEY, after which the old key can go', async () => {
    const oldBox = new SecretBox([Buffer.from(TEST_ENCRYPTION_KEY, 'base64')]);
    await db.query(
      `INSERT INTO map_tokens (environment, organization_id, auth_type, auth_key, auth_secret_enc, auth_timeout, auth_url, token_enc, token_issued_at, token_expires_at, version, created_at, updated_at)
       VALUES ('cli-env', 1, 'agol', 'id', ?, NULL, 'https://www.arcgis.com/sharing/rest/oauth2/token/', ?, 1, 2, 1, 1, 1)`,
      [oldBox.encrypt('the-secret'), oldBox.encrypt('the-token')],
    );
    const newKey = Buffer.alloc(32, 42).toString('base64');
    const result = await runCli(['reencrypt', '--json'], { ...env, ENCRYPTION_KEY: `${newKey},${TEST_ENCRYPTION_KEY}` });
    expect(JSON.parse(result.stdout)).toEqual({ resealed: 2 });
    const [row] = await db.query<{ auth_secret_enc: string; token_enc: string }[]>(
      "SELECT auth_secret_enc, token_enc FROM map_tokens WHERE environment = 'cli-env'",
    );
    const newBox = new SecretBox([Buffer.from(newKey, 'base64')]);
    expect(newBox.decrypt(row.auth_secret_enc)).toBe('the-secret');
    expect(newBox.decrypt(row.token_enc)).toBe('the-token');
    const again = await runCli(['reencrypt', '--json'], { ...env, ENCRYPTION_KEY: `${newKey},${TEST_ENCRYPTION_KEY}` });
    expect(JSON.parse(again.stdout)).toEqual({ resealed: 0 });
  });

  it.each([
    [['keys', 'create', '--environment', 'bad env', '--role', 'admin'], 2, '--environment'],
    [['keys', 'create', '--environment', 'e', '--role', 'owner'], 2, '--role'],
    [['keys', 'create', '--environment', 'e', '--role', 'admin', '--organization', 'x'], 2, '--organization'],
    [['keys', 'frobnicate'], 2, 'unknown command'],
    [['keys', 'list', '--nope'], 2, "Unknown option '--nope'"],
  ])('refuses %p with exit code %i and a message naming the problem', async (args, code, text) => {
    const result = await runCli(args, env);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(text);
    expect(result.stdout).toBe('');
  });

  it('says in one line which variable is wrong', async () => {
    const noUrl = await runCli(['migrate'], { ...env, MYSQL_URL: undefined });
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr.trim()).toMatch(/^map-token-proxy: MYSQL_URL: /);
    const badKey = await runCli(['migrate'], { ...env, ENCRYPTION_KEY: 'short' });
    expect(badKey.stderr.trim().split('\n')).toEqual(['map-token-proxy: ENCRYPTION_KEY: key 1 is not base64 of exactly 32 bytes']);
    const down = await runCli(['migrate'], { ...env, MYSQL_URL: 'mysql://root@127.0.0.1:1/nothing' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('the database does not answer');
  });
});
