import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const run = promisify(execFile);
// two runs of the script in one test, each up to a minute on a busy machine
jest.setTimeout(180_000);
const SCRIPT = join(__dirname, 'rotate-secret.sh');
const ENV = 'rotation-env';

let db: TestDatabase;
let h: Harness;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  h = createHarness({ mysqlUrl: db.url });
  server = createServer(h.app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
  await db.drop();
});

/** Runs the script as an admin job would, with nothing but PATH and its four inputs. */
function rotate(clientId: string, clientSecret: string) {
  return run('bash', [SCRIPT], {
    env: { PATH: process.env.PATH, BASE_URL: baseUrl, ENVIRONMENT: ENV, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret },
    // the script starts node to read JSON: slow on a busy machine (load average 17 seen)
    timeout: 60_000,
  });
}

function login(clientId: string, secret: string) {
  return request(h.app)
    .post('/api/v1/auth/token')
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
}

async function secretIds(clientId: string, secret: string): Promise<string[]> {
  const token = (await login(clientId, secret)).body.access_token;
  const res = await request(h.app)
    .get('/api/v1/auth/clientcredentials')
    .set({ Authorization: `Bearer ${token}`, 'atr-environment-id': ENV });
  expect(res.status).toBe(200);
  return res.body.map((row: { id: string }) => row.id);
}

it('rotate-secret.sh prints only a new secret that logs in, and the old secret is refused afterwards', async () => {
  const {
    client,
    secret: oldSecret,
    secretId: oldId,
  } = await h.services.clients.createClient({ environment: ENV, role: 'admin', organizationId: null, description: 'nightly job' }, 'test');

  const { stdout, stderr } = await rotate(client.clientId, oldSecret);
  expect(stderr).toBe('');
  expect(stdout).toMatch(/^[A-Za-z0-9_-]{40,}\n$/);
  const newSecret = stdout.trim();
  expect(newSecret).not.toBe(oldSecret);

  expect((await login(client.clientId, oldSecret)).status).toBe(401);
  expect((await login(client.clientId, newSecret)).status).toBe(200);
  const ids = await secretIds(client.clientId, newSecret);
  expect(ids).toHaveLength(1);
  expect(ids).not.toContain(oldId);
});

it('run again with the secret it printed, it rotates once more (a secret per run)', async () => {
  const { client, secret: first } = await h.services.clients.createClient(
    { environment: ENV, role: 'admin', organizationId: null, description: 'per-run job' },
    'test',
  );
  const second = (await rotate(client.clientId, first)).stdout.trim();
  const third = (await rotate(client.clientId, second)).stdout.trim();
  expect(new Set([first, second, third]).size).toBe(3);
  expect((await login(client.clientId, first)).status).toBe(401);
  expect((await login(client.clientId, second)).status).toBe(401);
  expect((await login(client.clientId, third)).status).toBe(200);
  expect(await secretIds(client.clientId, third)).toHaveLength(1);
});

it('with a wrong secret, it exits non-zero, prints nothing on stdout and changes nothing', async () => {
  const { client, secret } = await h.services.clients.createClient(
    { environment: ENV, role: 'admin', organizationId: null, description: 'typo job' },
    'test',
  );
  const failure = await rotate(client.clientId, 'not-the-secret').then(
    () => null,
    (error: { code: number; stdout: string }) => error,
  );
  expect(failure).not.toBeNull();
  expect(failure!.code).not.toBe(0);
  expect(failure!.stdout).toBe('');
  expect(await secretIds(client.clientId, secret)).toHaveLength(1);
});
