import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { hashSecret } from '../../src/crypto/secrets';
import { migrate } from '../../src/stores/mysql/migrate';
import { NotFoundError } from '../../src/errors';
import { createMemoryStore } from '../../src/stores/memory/memory-store';
import { createMysqlStore } from '../../src/stores/mysql/mysql-store';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * SPEC "Headers": client ids and secret ids match exactly, byte for byte; MySQL's padding collations
 * must not make "id " equal "id". Run on the real MySQL server, where the padding lives.
 */

const ENV = 'bytes';
let db: TestDatabase;
let h: Harness;
let clientId: string;
let secret: string;
let secretId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  h = createHarness({ mysqlUrl: db.url, env: { TRUST_PROXY: 'loopback' } });
  const created = await h.services.clients.createClient(
    { environment: ENV, role: 'admin', organizationId: null, description: 'bytes' },
    'test',
  );
  ({ secret, secretId } = created);
  clientId = created.client.clientId;
});

afterAll(async () => {
  await h.close();
  await db.drop();
});

function login(id: string, clientSecret: string, address: string) {
  return request(h.app)
    .post('/api/v1/auth/token')
    .set('X-Forwarded-For', address)
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: id, client_secret: clientSecret });
}

it('the client id columns are binary, so that no collation pads them', async () => {
  const columns = await db.query<{ TABLE_NAME: string; COLUMN_NAME: string; DATA_TYPE: string }[]>(
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND ((TABLE_NAME = 'clients' AND COLUMN_NAME = 'client_id') OR TABLE_NAME = 'client_secrets' AND COLUMN_NAME IN ('id', 'client_id'))",
    [db.name],
  );
  expect(columns.map((column) => column.DATA_TYPE)).toEqual(['varbinary', 'varbinary', 'varbinary']);
});

it('a client id with trailing spaces does not log in, even with the right secret', async () => {
  for (const padded of [`${clientId} `, `${clientId}   `]) {
    const res = await login(padded, secret, '10.4.0.1');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  }
  const exact = await login(clientId, secret, '10.4.0.2');
  expect(exact.status).toBe(200);
});

it('padded spellings of one client id share its login rate-limit counter: the 11th wrong guess from one address is 429', async () => {
  const address = '10.4.1.1';
  for (let i = 1; i <= 10; i++) expect((await login(clientId + ' '.repeat(i), 'wrong', address)).status).toBe(401);
  for (let i = 11; i <= 18; i++) expect((await login(clientId + ' '.repeat(i), 'wrong', address)).status).toBe(429);
});

it('DELETE of a secret id with trailing spaces is 404, audits nothing, and keeps the secret', async () => {
  const token = await login(clientId, secret, '10.4.2.1');
  expect(token.status).toBe(200);
  const auth = { 'atr-environment-id': ENV, authorization: `Bearer ${token.body.access_token}` };
  const res = await request(h.app)
    .delete(`/api/v1/auth/clientcredentials?id=${encodeURIComponent(`${secretId} `)}`)
    .set(auth);
  expect(res.status).toBe(404);
  expect(res.body.code).toBe('NotFound');

  const list = await request(h.app).get('/api/v1/auth/clientcredentials').set(auth);
  expect(list.body.map((row: { id: string }) => row.id)).toEqual([secretId]);
  const audits = await db.query<{ n: number }[]>(
    "SELECT COUNT(*) AS n FROM audit_events WHERE resource_type = 'client_secret' AND action = 'delete'",
  );
  expect(Number(audits[0].n)).toBe(0);
});

it('ids still read back as text: the listed secret id and client id are the ones issued', async () => {
  const token = await login(clientId, secret, '10.4.3.1');
  const list = await request(h.app)
    .get('/api/v1/auth/clientcredentials')
    .set({ 'atr-environment-id': ENV, authorization: `Bearer ${token.body.access_token}` });
  expect(list.status).toBe(200);
  expect(list.body).toEqual([{ id: secretId, description: 'initial secret', client_id: clientId, createdAt: expect.any(String) }]);
});

describe.each([
  ['embedded', () => createMemoryStore(new FakeClock())],
  ['MySQL', () => createMysqlStore(db.url, new FakeClock())],
])('the %s store matches client ids and secret ids byte for byte', (_name, open) => {
  it('a padded or differently cased id finds nothing, deletes nothing and adds nothing', async () => {
    const store = open();
    try {
      const ctx = { environment: ENV, actor: 'test', requestId: 'bytes' };
      await store.clients.create(
        {
          clientId: 'mtpc_bytes',
          environment: ENV,
          role: 'admin',
          organizationId: null,
          description: null,
          allowedOrigins: null,
          rateLimit: null,
        },
        { id: 'secretbytes', clientId: 'mtpc_bytes', description: null, secretHash: 'b'.repeat(64) },
        ctx,
      );
      for (const padded of ['mtpc_bytes ', 'MTPC_BYTES']) {
        expect(await store.clients.get(padded)).toBeNull();
        expect(await store.clients.listSecrets(padded)).toEqual([]);
        await expect(
          store.clients.addSecret(
            { id: `x${padded.length}${padded[0]}`, clientId: padded, description: null, secretHash: 'c'.repeat(64) },
            ctx,
          ),
        ).rejects.toBeInstanceOf(NotFoundError);
      }
      expect(await store.clients.getSecret('secretbytes ')).toBeNull();
      expect(await store.clients.deleteSecret('mtpc_bytes', 'secretbytes ', ctx)).toBe(false);
      expect(await store.clients.deleteSecret('mtpc_bytes ', 'secretbytes', ctx)).toBe(false);
      expect((await store.clients.listSecrets('mtpc_bytes')).map((row) => row.id)).toEqual(['secretbytes']);
      expect((await store.clients.get('mtpc_bytes'))?.clientId).toBe('mtpc_bytes');
      expect(await store.clients.delete('mtpc_bytes ', ctx)).toBeNull();
    } finally {
      await store.close();
    }
  });
});

it('migration 004 keeps the clients and secrets a database already holds, and they still log in', async () => {
  const older = await createTestDatabase({ migrate: false });
  const dir = mkdtempSync(join(tmpdir(), 'mtp-sql-'));
  try {
    for (const name of readdirSync(join(__dirname, '..', '..', 'sql')).filter((file) => file < '004'))
      copyFileSync(join(__dirname, '..', '..', 'sql', name), join(dir, name));
    await migrate(older.url, dir);
    // a client and its secret as the service wrote them before 004 (today's code writes columns of later migrations)
    const created = { client: { clientId: 'mtpc_from_before' }, secret: 'the-secret-from-before', secretId: 'secretfrombefore' };
    await older.query(
      "INSERT INTO clients (client_id, environment, role, organization_id, description, created_at) VALUES (?, ?, 'reader', 3, 'from before', 1)",
      [created.client.clientId, ENV],
    );
    await older.query(
      "INSERT INTO client_secrets (id, client_id, description, secret_hash, created_at) VALUES (?, ?, 'initial secret', ?, 1)",
      [created.secretId, created.client.clientId, hashSecret(created.secret)],
    );

    expect(await migrate(older.url)).toContain('004_byte_exact_ids.sql');
    const after = createHarness({ mysqlUrl: older.url });
    try {
      const res = await request(after.app)
        .post('/api/v1/auth/token')
        .type('form')
        .send({ grant_type: 'client_credentials', client_id: created.client.clientId, client_secret: created.secret });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('reader');
      expect((await after.store.clients.listSecrets(created.client.clientId)).map((row) => row.id)).toEqual([created.secretId]);
      // the foreign key is back: deleting the client takes its secrets with it
      await after.store.clients.delete(created.client.clientId, { actor: 'test', requestId: 'bytes' });
      expect(await after.store.clients.getSecret(created.secretId)).toBeNull();
    } finally {
      await after.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await older.drop();
  }
});
